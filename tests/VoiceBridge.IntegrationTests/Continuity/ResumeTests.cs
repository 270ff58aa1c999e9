using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Continuity;

/// <summary>
/// Resume over real sockets (CONTRACT.md, "Continuity"): a TCP proxy between browser and bridge cuts the connection
/// mid-response (RST, no close frame); the browser comes back with its resume token and gets every kept event once,
/// in order, then the live stream. The fake service is passive, so the test alone numbers every event it sends.
/// </summary>
public sealed class ResumeTests
{
    private const string AdminKey = "admin-key-0123456789abcdef";

    [Fact]
    public async Task CutMidResponse_BrowserResumes_KeptEventsOnceInOrder_AudioContinues_TwiceWithTheNewToken()
    {
        var ct = TestTimeout.Token(40);
        await using var scene = await Scene.StartAsync(ct, new() { ["VoiceBridge:Admin:ApiKey"] = AdminKey, ["VoiceBridge:Limits:MaxSessions"] = "1" });
        var created = await scene.Browser.WaitForEventAsync("bridge.session.created", ct);
        var firstToken = created.Json.GetProperty("resume_token").GetString()!;
        var received = new List<int>();
        var next = 1;

        // A response under way: the browser has heard part of it when the network drops.
        await scene.SendAudioAsync(next, 5, ct);
        next += 5;
        await ResumeTraffic.ReadEventsAsync(scene.Browser, received, until: 3, ct);
        scene.Proxy.Cut();
        await scene.SendAudioAsync(next, 5, ct);
        next += 5;
        await scene.Bridge.WaitUntilAsync(() => scene.Bridge.Registry.Sessions.Any(s => s.IsDetached), ct);

        // Detached: still counted against MaxSessions, and shown as such to the operator.
        await using (var refused = await RawWebSocketClient.ConnectAsync(scene.Bridge.VoiceUri(), ct))
        {
            Assert.Equal(503, refused.Status);
        }

        using (var admin = scene.Bridge.CreateHttpClient())
        {
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            var list = await admin.GetStringAsync("/admin/sessions", ct);
            Assert.Contains("\"state\":\"detached\"", list, StringComparison.Ordinal);
            Assert.DoesNotContain(firstToken, list, StringComparison.Ordinal);
        }

        var surelyKept = next;
        await scene.SendAudioAsync(next, 3, ct);
        next += 3;
        await scene.WaitUntilKeptAsync(sent: next - 1, atLeast: 3, ct);

        var secondToken = await ResumeAndCheckAsync(scene, firstToken, received, surelyKept, next, viaSubprotocol: true, ct);
        next++;

        // A second blip: the new token resumes again.
        scene.Proxy.Cut();
        await scene.Bridge.WaitUntilAsync(() => scene.Bridge.Registry.Sessions.Any(s => s.IsDetached), ct);
        surelyKept = next;
        await scene.SendAudioAsync(next, 2, ct);
        next += 2;
        await scene.WaitUntilKeptAsync(sent: next - 1, atLeast: 2, ct);
        var thirdToken = await ResumeAndCheckAsync(scene, secondToken, received, surelyKept, next, viaSubprotocol: false, ct);
        Assert.NotEqual(secondToken, thirdToken);

        // Each event at most once, in the order sent, across three sockets.
        Assert.Equal(received.Distinct().Order(), received);

        // Spent tokens are gone.
        foreach (var spent in new[] { firstToken, secondToken })
        {
            await using var raw = await RawWebSocketClient.ConnectAsync(scene.Bridge.VoiceUri($"?resume_token={spent}"), ct);
            Assert.Equal(404, raw.Status);
            Assert.Contains("resume_not_found", await raw.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(firstToken, scene.Bridge.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(secondToken, scene.Bridge.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal(1, scene.Upstream.HandshakeCount);
    }

    [Fact]
    public async Task CutBeforeTheUpstreamAnswered_SessionDetaches_AndResumes()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        upstream.AcceptDelay = TimeSpan.FromMilliseconds(500);
        await using var bridge = new BridgeApp(upstream.Url);
        await using var proxy = new TcpCutProxy(bridge.BaseUri.Port);
        await using var browser = await BrowserClient.ConnectAsync(proxy.Through(bridge.VoiceUri("?bridge_events=1")), ct);
        var token = (await browser.WaitForEventAsync("bridge.session.created", ct)).Json.GetProperty("resume_token").GetString()!;

        // The browser is gone while the bridge still dials the service: the call waits for it all the same.
        proxy.Cut();
        await bridge.WaitUntilAsync(() => bridge.Registry.Sessions.Any(s => s.IsDetached), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(1, ct);
        await connection.SendTextAsync("""{"type":"session.created","event_id":"ev_created","session":{}}""", ct);

        await using var resumed = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct, o => o.AddSubProtocol("voicebridge-resume." + token));
        Assert.Equal("bridge.session.resumed", (await resumed.ReceiveAsync(ct))!.EventType);
        Assert.Equal("session.created", (await resumed.ReceiveAsync(ct))!.EventType);
        Assert.Null(bridge.Registry.Sessions.Single().Outcome);
    }

    [Fact]
    public async Task NotResumedWithinTheWindow_UpstreamClosed1000_TokenThen404()
    {
        var ct = TestTimeout.Token();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var scene = await Scene.StartAsync(ct, timeProvider: time);
        var token = (await scene.Browser.WaitForEventAsync("bridge.session.created", ct)).Json.GetProperty("resume_token").GetString()!;

        scene.Proxy.Cut();
        await scene.Bridge.WaitUntilAsync(() => scene.Bridge.Registry.Sessions.Any(s => s.IsDetached), ct);
        time.Advance(TimeSpan.FromSeconds(15));
        await scene.Connection.Ended.WaitAsync(ct);
        await scene.Bridge.WaitForNoSessionsAsync(ct);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, scene.Connection.Socket.ReceivedCloseStatus);
        await using var raw = await RawWebSocketClient.ConnectAsync(scene.Bridge.VoiceUri(), ct, $"Sec-WebSocket-Protocol: realtime, voicebridge-resume.{token}");
        Assert.Equal(404, raw.Status);
        Assert.Contains("resume_expired", scene.Bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithTokens_ResumeNeedsTheSameSubject_AnotherIs403_NoneIs401()
    {
        var ct = TestTimeout.Token();
        var settings = new Dictionary<string, string?> { ["VoiceBridge:Auth:Mode"] = "Token", ["VoiceBridge:Auth:SigningKey"] = HandJwt.KeyBase64 };
        await using var scene = await Scene.StartAsync(ct, settings, BrowserToken("user-1"));
        var token = (await scene.Browser.WaitForEventAsync("bridge.session.created", ct)).Json.GetProperty("resume_token").GetString()!;
        scene.Proxy.Cut();
        await scene.Bridge.WaitUntilAsync(() => scene.Bridge.Registry.Sessions.Any(s => s.IsDetached), ct);

        await using (var none = await RawWebSocketClient.ConnectAsync(scene.Bridge.VoiceUri($"?resume_token={token}"), ct))
        {
            Assert.Equal(401, none.Status);
        }

        await using (var other = await RawWebSocketClient.ConnectAsync(scene.Bridge.VoiceUri($"?resume_token={token}&access_token={BrowserToken("user-2")}"), ct))
        {
            Assert.Equal(403, other.Status);
            Assert.Contains("resume_forbidden", await other.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        // Refusals spend nothing: the owner, with a fresh token of its own, resumes.
        await using var resumed = await BrowserClient.ConnectAsync(scene.Bridge.VoiceUri(), ct, options =>
        {
            options.AddSubProtocol("voicebridge-resume." + token);
            options.AddSubProtocol("openai-insecure-api-key." + BrowserToken("user-1"));
        });
        Assert.Equal("realtime", resumed.Socket.SubProtocol);
        Assert.Equal("bridge.session.resumed", (await resumed.ReceiveAsync(ct))!.EventType);
    }

    private static string BrowserToken(string subject) => HandJwt.Sign(HandJwt.Claims(DateTimeOffset.UtcNow.AddMinutes(5), subject));

    /// <summary>Resumes with <paramref name="token"/>, checks the replay and one live event, and returns the next token.</summary>
    private static async Task<string> ResumeAndCheckAsync(Scene scene, string token, List<int> received, int surelyKept, int live, bool viaSubprotocol, CancellationToken ct)
    {
        var uri = scene.Proxy.Through(scene.Bridge.VoiceUri(viaSubprotocol ? string.Empty : $"?resume_token={token}"));
        var browser = await BrowserClient.ConnectAsync(uri, ct, options =>
        {
            if (viaSubprotocol)
            {
                options.AddSubProtocol("voicebridge-resume." + token);
            }
        });
        scene.Browser = browser;
        Assert.Equal("realtime", browser.Socket.SubProtocol);

        var resumed = (await browser.ReceiveAsync(ct))!;
        Assert.Equal("bridge.session.resumed", resumed.EventType);
        var replayed = resumed.Json.GetProperty("replayed_events").GetInt32();
        var newToken = resumed.Json.GetProperty("resume_token").GetString()!;
        Assert.Matches("^[A-Za-z0-9_-]{43}$", newToken);

        await scene.SendAudioAsync(live, 1, ct);
        var before = received.Count;
        await ResumeTraffic.ReadEventsAsync(browser, received, until: live, ct);
        var afterResume = received.Skip(before).ToList();

        // Everything kept arrived (the events sent after the detach surely were), then the live one; each counted once.
        Assert.Equal(replayed + 1, afterResume.Count);
        Assert.Equal(Enumerable.Range(surelyKept, live - surelyKept + 1), afterResume.Where(id => id >= surelyKept));
        return newToken;
    }

    private sealed class Scene : IAsyncDisposable
    {
        private Scene(FakeUpstream upstream, BridgeApp bridge, TcpCutProxy proxy, BrowserClient browser, UpstreamConnection connection)
        {
            Upstream = upstream;
            Bridge = bridge;
            Proxy = proxy;
            Browser = browser;
            Connection = connection;
        }

        public FakeUpstream Upstream { get; }

        public BridgeApp Bridge { get; }

        public TcpCutProxy Proxy { get; }

        /// <summary>The browser's current socket (replaced by each resume).</summary>
        public BrowserClient Browser { get; set; }

        public UpstreamConnection Connection { get; }

        public static async Task<Scene> StartAsync(CancellationToken ct, Dictionary<string, string?>? settings = null, string? accessToken = null, TimeProvider? timeProvider = null)
        {
            var upstream = await FakeUpstream.StartAsync();
            upstream.RunSimulator = false;
            var bridge = new BridgeApp(upstream.Url, settings, timeProvider: timeProvider);
            var proxy = new TcpCutProxy(bridge.BaseUri.Port);
            var query = "?bridge_events=1&audio=binary" + (accessToken is null ? string.Empty : "&access_token=" + accessToken);
            var browser = await BrowserClient.ConnectAsync(proxy.Through(bridge.VoiceUri(query)), ct);
            var connection = await upstream.NextConnectionAsync(ct);
            await connection.Socket.WaitForFramesAsync(1, ct);
            return new Scene(upstream, bridge, proxy, browser, connection);
        }

        public Task WaitUntilKeptAsync(int sent, int atLeast, CancellationToken ct) =>
            ResumeTraffic.WaitUntilKeptAsync(Bridge.Registry.Sessions.Single(), sent, atLeast, ct);

        public Task SendAudioAsync(int first, int count, CancellationToken ct) => ResumeTraffic.SendAudioAsync(Connection, first, count, ct);

        public async ValueTask DisposeAsync()
        {
            await Browser.DisposeAsync();
            await Proxy.DisposeAsync();
            await Bridge.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }
}
