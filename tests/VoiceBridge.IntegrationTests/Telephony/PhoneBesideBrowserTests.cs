using System.Net.Http.Headers;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Diagnostics;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>A phone call and a browser call side by side on one bridge: each its own session.update, both seen by operators with their channel.</summary>
public sealed class PhoneBesideBrowserTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";
    private const string CallSid = "CA22222222222222222222222222222222";

    [Fact]
    public async Task PhoneAndBrowser_SideBySide_OwnPoliciesAndChannelInAdminApiAndMetrics()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync(simulator: false, settings: new Dictionary<string, string?> { ["VoiceBridge:Admin:ApiKey"] = AdminKey });
        await using var stream = await scene.CallAsync(CallSid, ct);
        await using var browser = await BrowserClient.ConnectAsync(scene.Bridge.VoiceUri(), ct);
        await scene.Bridge.WaitUntilAsync(() => scene.Bridge.Registry.Count == 2, ct);

        using var http = scene.Bridge.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var list = JsonDocument.Parse(await http.GetStringAsync(new Uri("/admin/sessions", UriKind.Relative), ct));
        var sessions = list.RootElement.GetProperty("sessions").EnumerateArray().ToList();
        var phone = Assert.Single(sessions, s => s.GetProperty("channel").GetString() == "twilio");
        Assert.Equal(CallSid, phone.GetProperty("callSid").GetString());
        var web = Assert.Single(sessions, s => s.GetProperty("channel").GetString() == "browser");
        Assert.Equal(JsonValueKind.Null, web.GetProperty("callSid").ValueKind);

        using var detail = JsonDocument.Parse(await http.GetStringAsync(new Uri("/admin/sessions/" + phone.GetProperty("id").GetString(), UriKind.Relative), ct));
        Assert.Equal("twilio", detail.RootElement.GetProperty("channel").GetString());
        Assert.Equal(CallSid, detail.RootElement.GetProperty("callSid").GetString());

        var during = await ScrapeAsync(scene.Bridge, ct);
        Assert.Equal(1, during.Value("voicebridge_sessions_active", ("channel", "twilio")));
        Assert.Equal(1, during.Value("voicebridge_sessions_active", ("channel", "browser")));

        // Each upstream connection got its channel's session.update: µ-law for the phone, PCM 24 kHz for the browser.
        var formats = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var connection = await scene.Upstream.NextConnectionAsync(ct);
            var update = await PhoneScene.WaitForUpstreamAsync(connection, _ => true, ct);
            formats.Add(update.GetProperty("session").GetProperty("audio").GetProperty("output").GetProperty("format").GetProperty("type").GetString()!);
        }

        Assert.Equal(["audio/pcm", "audio/pcmu"], formats.Order());

        await stream.SendStopAsync(CallSid, ct);
        await browser.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", ct);
        await scene.Bridge.WaitForNoSessionsAsync(ct);
        var after = await ScrapeAsync(scene.Bridge, ct);
        Assert.Equal(1, after.Value("voicebridge_sessions_total", ("channel", "twilio"), ("outcome", "browser_closed")));
        Assert.Equal(1, after.Value("voicebridge_sessions_total", ("channel", "browser"), ("outcome", "browser_closed")));
        Assert.Equal(0, after.Value("voicebridge_sessions_active", ("channel", "twilio")));
        Assert.Contains(scene.Bridge.Logs.Lines, l => l.Contains(CallSid, StringComparison.Ordinal) && l.Contains("Twilio call", StringComparison.Ordinal));

        // Every line of the call carries its CallSid (a log scope), the closing account included; the browser's do not.
        Assert.Contains(scene.Bridge.Logs.Lines, l => l.Contains("closed after", StringComparison.Ordinal) && l.Contains("CallSid=" + CallSid, StringComparison.Ordinal));
        Assert.Contains(scene.Bridge.Logs.Lines, l => l.Contains("closed after", StringComparison.Ordinal) && !l.Contains("CallSid=", StringComparison.Ordinal));
        Assert.DoesNotContain(FakeTwilio.AuthToken, scene.Bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllowedClientEvents_WrittenForBrowsers_DoesNotMuteTheCaller()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync(settings: new Dictionary<string, string?> { ["VoiceBridge:Session:AllowedClientEvents:0"] = "response.create" });
        await using var browser = await BrowserClient.ConnectAsync(scene.Bridge.VoiceUri(), ct);
        var browserUpstream = await scene.Upstream.NextConnectionAsync(ct);
        await using var stream = await scene.CallAsync(CallSid, ct);
        var phoneUpstream = await scene.Upstream.NextConnectionAsync(ct);

        // The browser may send only response.create: its audio is refused.
        await browser.SendTextAsync($$"""{"type":"input_audio_buffer.append","audio":"{{Convert.ToBase64String(new byte[960])}}"}""", ct);
        var error = await browser.WaitForEventAsync("error", ct);
        Assert.Contains("unknown_event", error.Text, StringComparison.Ordinal);

        // The caller's audio and key presses, which the bridge itself builds, still reach the service.
        await stream.SendMediaAsync(Convert.ToBase64String(new byte[160]), ct);
        await stream.SendDtmfAsync("7", ct);
        await PhoneScene.WaitForUpstreamAsync(phoneUpstream, e => PhoneScene.IsType(e, "conversation.item.create"), ct);
        Assert.Contains(PhoneScene.Events(phoneUpstream), e => PhoneScene.IsType(e, "input_audio_buffer.append"));
        Assert.DoesNotContain(PhoneScene.Events(browserUpstream), e => PhoneScene.IsType(e, "input_audio_buffer.append"));
    }

    [Fact]
    public async Task OperatorInterrupt_PhoneCall_TwilioClearedAndResponseCancelled()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync(settings: new Dictionary<string, string?> { ["VoiceBridge:Admin:ApiKey"] = AdminKey });
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        var delta = Convert.ToBase64String(new byte[800]);
        await upstream.SendTextAsync($$"""{"type":"response.output_audio.delta","response_id":"resp_1","item_id":"item_A","output_index":0,"content_index":0,"delta":"{{delta}}"}""", ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "mark"), ct);

        using var http = scene.Bridge.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var id = scene.Bridge.Registry.Sessions.Single().Id;
        using var response = await http.PostAsync(new Uri($"/admin/sessions/{id}/interrupt", UriKind.Relative), null, ct);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "clear"), ct);
        await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "response.cancel"), ct);
        Assert.DoesNotContain(stream.Received, m => TwilioStream.Is(m, "output_audio_buffer.cleared") || m.TryGetProperty("type", out _));
    }

    private static async Task<ScrapedMetrics> ScrapeAsync(BridgeApp bridge, CancellationToken cancellationToken)
    {
        using var http = bridge.CreateHttpClient();
        return ScrapedMetrics.Parse(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken));
    }
}
