using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Admin;

public sealed class AdminApiTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";

    private static Dictionary<string, string?> WithAdmin(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?> { ["VoiceBridge:Admin:ApiKey"] = AdminKey };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static HttpClient Admin(BridgeApp bridge)
    {
        var http = bridge.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    private static async Task<string> OnlySessionIdAsync(HttpClient http, CancellationToken ct)
    {
        using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("/admin/sessions", UriKind.Relative), ct));
        return list.RootElement.GetProperty("sessions")[0].GetProperty("id").GetString()!;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Fact]
    public async Task WithoutAdminKeyConfigured_EveryRouteIs404()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct);
        using var http = Admin(scene.Bridge);

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/admin/sessions", UriKind.Relative), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync(new Uri("/admin/sessions/x/interrupt", UriKind.Relative), null, ct)).StatusCode);
    }

    [Fact]
    public async Task WrongOrMissingKey_Is401_UnknownSessionIs404_BadBodyIs400()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct, settings: WithAdmin());
        using var anonymous = scene.Bridge.CreateHttpClient();
        using var wrong = scene.Bridge.CreateHttpClient();
        wrong.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-admin-key-xxxxxx");
        using var http = Admin(scene.Bridge);
        var id = await OnlySessionIdAsync(http, ct);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri("/admin/sessions", UriKind.Relative), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(new Uri("/admin/sessions", UriKind.Relative), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/admin/sessions/vb_nope", UriKind.Relative), ct)).StatusCode);
        using var bad = await http.PostAsync(new Uri($"/admin/sessions/{id}/upstream", UriKind.Relative), Json("""{"no_type":1}"""), ct);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var body = JsonDocument.Parse(await bad.Content.ReadAsStringAsync(ct));
        Assert.Equal("invalid_event", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ListAndGet_DescribeLiveSessionsInCamelCase()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct, settings: WithAdmin());
        using var http = Admin(scene.Bridge);
        await scene.Browser.SendBinaryAsync(new byte[4800], ct);
        await scene.Connection.Socket.WaitForFramesAsync(2, ct);

        using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("/admin/sessions", UriKind.Relative), ct));
        var item = list.RootElement.GetProperty("sessions").EnumerateArray().Single();
        Assert.StartsWith("vb_", item.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", item.GetProperty("clientAddress").GetString());
        Assert.Equal("open", item.GetProperty("state").GetString());
        Assert.Equal(1, item.GetProperty("framesIn").GetInt64());
        Assert.Equal(4800, item.GetProperty("bytesIn").GetInt64());
        Assert.True(DateTimeOffset.TryParse(item.GetProperty("startedAt").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));

        using var one = JsonDocument.Parse(await http.GetStringAsync(new Uri($"/admin/sessions/{item.GetProperty("id").GetString()}", UriKind.Relative), ct));
        Assert.Equal(0.1, one.RootElement.GetProperty("audioSecondsIn").GetDouble(), 3);
        Assert.True(one.RootElement.TryGetProperty("firstAudio", out _));
        Assert.True(one.RootElement.TryGetProperty("tokens", out _));
    }

    [Fact]
    public async Task InjectUpstream_ASystemMessageJoinsTheCallInOrder()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct, settings: WithAdmin());
        using var http = Admin(scene.Bridge);
        var id = await OnlySessionIdAsync(http, ct);
        var system = """{"type":"conversation.item.create","item":{"type":"message","role":"system","content":[{"type":"input_text","text":"The caller is a premium customer."}]}}""";

        await scene.Browser.SendTextAsync("""{"type":"input_audio_buffer.clear","event_id":"before"}""", ct);
        await scene.Connection.Socket.WaitForFramesAsync(2, ct);
        using var response = await http.PostAsync(new Uri($"/admin/sessions/{id}/upstream", UriKind.Relative), Json(system), ct);
        await scene.Connection.Socket.WaitForFramesAsync(3, ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(system, scene.Connection.Received.ElementAt(2).Text);
        Assert.Contains($"Admin action inject upstream on session {id} by 127.0.0.1", scene.Bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushToClient_TheBrowserReceivesTheEvent()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct, settings: WithAdmin());
        using var http = Admin(scene.Bridge);
        var id = await OnlySessionIdAsync(http, ct);
        var notice = """{"type":"voicebridge.notice","text":"A supervisor joined the call."}""";

        using var response = await http.PostAsync(new Uri($"/admin/sessions/{id}/client", UriKind.Relative), Json(notice), ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(notice, (await scene.Browser.ReceiveAsync(ct))!.Text);
    }

    [Fact]
    public async Task EndWithReason_BrowserGetsSessionEndedByOperatorAndClose1000()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct, settings: WithAdmin());
        using var http = Admin(scene.Bridge);
        var id = await OnlySessionIdAsync(http, ct);

        using var response = await http.DeleteAsync(new Uri($"/admin/sessions/{id}?reason=Fraud%20suspected", UriKind.Relative), ct);
        var messages = await scene.Browser.ReadUntilClosedAsync(ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var error = messages.Last().Json.GetProperty("error");
        Assert.Equal("session_ended_by_operator", error.GetProperty("code").GetString());
        Assert.Equal("Fraud suspected", error.GetProperty("message").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, scene.Browser.Socket.CloseStatus);
        await scene.Bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task Interrupt_CancelsUpstream_ClearsTheBrowser_AndNoMoreAudioOfThatResponseArrives()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync(o => o.DeltaInterval = TimeSpan.FromMilliseconds(30));
        await using var bridge = new BridgeApp(upstream.Url, WithAdmin(("VoiceBridge:Session:TurnDetection", "none")));
        using var http = Admin(bridge);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await browser.WaitForEventAsync("session.updated", ct);

        // 5 s of audio to echo: 50 deltas at 30 ms each, far longer than the test waits.
        await browser.SendBinaryAsync(new byte[240_000], ct);
        await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
        await browser.WaitForEventAsync("response.output_audio.delta", ct);
        var id = await OnlySessionIdAsync(http, ct);

        using var response = await http.PostAsync(new Uri($"/admin/sessions/{id}/interrupt", UriKind.Relative), null, ct);
        await browser.WaitForEventAsync("output_audio_buffer.cleared", ct);
        var after = new List<BrowserMessage>();
        while (true)
        {
            var message = await browser.ReceiveAsync(ct);
            after.Add(message!);
            if (message!.EventType == "response.done")
            {
                break;
            }
        }

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains(connection.Received, f => f.Text.Contains("\"response.cancel\"", StringComparison.Ordinal));
        Assert.DoesNotContain(after, m => m.EventType == "response.output_audio.delta");
        Assert.Equal("cancelled", after.Last().Json.GetProperty("response").GetProperty("status").GetString());

        // The next response's audio is not held back.
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
        await browser.WaitForEventAsync("response.output_audio.delta", ct);
    }

    [Fact]
    public async Task EventsStream_ShowsServerEventsWithoutAudio_AndEndsWithTheSummary()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, WithAdmin(("VoiceBridge:Session:TurnDetection", "none")));
        using var http = Admin(bridge);
        http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.updated", ct);
        var id = await OnlySessionIdAsync(http, ct);

        using var stream = await http.GetStreamAsync(new Uri($"/admin/sessions/{id}/events", UriKind.Relative), ct);
        using var sse = new StreamReader(stream);
        Assert.StartsWith(": watching", await sse.ReadLineAsync(ct), StringComparison.Ordinal);

        await browser.SendBinaryAsync(new byte[9600], ct);
        await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
        await browser.WaitForEventAsync("response.done", ct);
        await browser.DisposeAsync();

        var types = new List<string>();
        string? summary = null;
        string? line;
        var lastEvent = "message";
        while ((line = await sse.ReadLineAsync(ct)) is not null)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                lastEvent = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var json = JsonDocument.Parse(line["data: ".Length..]);
                if (lastEvent == "end")
                {
                    summary = line;
                    break;
                }

                types.Add(json.RootElement.GetProperty("type").GetString()!);
            }
        }

        Assert.Contains("input_audio_buffer.committed", types);
        Assert.Contains("response.created", types);
        Assert.Contains("response.output_audio_transcript.delta", types);
        Assert.Contains("response.done", types);
        Assert.DoesNotContain("response.output_audio.delta", types);
        Assert.NotNull(summary);
        Assert.Contains("\"responses\":1", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventsStream_ASlowWatcherNeverSlowsTheCall_AndIsToldWhatItMissed()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await BridgedSession.StartAsync(ct, settings: WithAdmin());
        using var http = Admin(scene.Bridge);
        http.Timeout = System.Threading.Timeout.InfiniteTimeSpan;
        var id = await OnlySessionIdAsync(http, ct);
        using var stream = await http.GetStreamAsync(new Uri($"/admin/sessions/{id}/events", UriKind.Relative), ct);

        // The watcher reads nothing while the call carries far more events than its buffer and the TCP buffers hold.
        const int Count = 3000;
        var padding = new string('p', 2000);
        for (var i = 0; i < Count; i++)
        {
            await scene.Connection.SendTextAsync($$"""{"type":"response.output_audio_transcript.delta","seq":{{i}},"delta":"{{padding}}"}""", ct);
        }

        for (var i = 0; i < Count; i++)
        {
            var message = await scene.Browser.ReceiveAsync(ct);
            Assert.Equal(i, message!.Json.GetProperty("seq").GetInt32());
        }

        // Now the watcher catches up: it is told events were dropped.
        using var sse = new StreamReader(stream);
        var sawDropped = false;
        while (!sawDropped && await sse.ReadLineAsync(ct) is { } line)
        {
            sawDropped = line == "event: dropped";
        }

        Assert.True(sawDropped);
    }
}
