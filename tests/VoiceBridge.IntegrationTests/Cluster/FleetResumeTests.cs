using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;

using VoiceBridge.IntegrationTests.Continuity;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>
/// Resume on any node (CONTRACT.md, "Fleet"): two nodes on a real redis-server, each reachable at its InternalUrl; a
/// browser whose call lives on node A resumes through node B, which relays it over the signed internal hop. A TCP proxy
/// in front of each node cuts the browser's connection (RST, no close frame); the fake service is passive, so the test
/// alone numbers every event it sends.
/// </summary>
public sealed class FleetResumeTests
{
        [Fact]
    public async Task ResumeThroughAnotherNode_KeptEventsOnceInOrder_LiveBothWays_ThenBackThroughTheOwner()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        var received = new List<int>();
        var next = 1;
        await scene.SendAudioAsync(next, 3, ct);
        next += 3;
        await ResumeTraffic.ReadEventsAsync(scene.Browser, received, until: 3, ct);

        // The browser drops on node A; the call waits there, keeping what the service sends.
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        var surelyKept = next;
        await scene.SendAudioAsync(next, 4, ct);
        next += 4;
        await scene.WaitUntilKeptAsync(sent: next - 1, atLeast: 4, ct);

        // Through node B: the same answer a resume on node A would give.
        var token = await ResumeAndCheckAsync(scene, scene.ProxyB.Through(scene.B.VoiceUri()), scene.Token, received, surelyKept, next, ct);
        next++;
        Assert.Empty(scene.B.Registry.Sessions);
        await scene.A.Logs.WaitForLineAsync(line => line.Contains("[91]", StringComparison.Ordinal), ct);
        await scene.B.Logs.WaitForLineAsync(line => line.Contains("[120]", StringComparison.Ordinal) && line.Contains("node-a", StringComparison.Ordinal), ct);

        // Live the other way: a text event and an audio frame reach the service through the relay.
        var before = scene.Connection.Received.Count;
        await scene.Browser.SendTextAsync("""{"type":"response.create"}""", ct);
        await scene.Browser.SendBinaryAsync(new byte[960], ct);
        await scene.Connection.Socket.WaitForFramesAsync(before + 2, ct);
        var forwarded = scene.Connection.Received.Skip(before).Select(frame => frame.Text).ToList();
        Assert.Contains("\"response.create\"", forwarded[0], StringComparison.Ordinal);
        Assert.Contains("\"input_audio_buffer.append\"", forwarded[1], StringComparison.Ordinal);

        // A second blip, now between the browser and node B: the relay drops the hop, node A detaches again, and the
        // browser comes back straight to node A.
        scene.ProxyB.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        surelyKept = next;
        await scene.SendAudioAsync(next, 2, ct);
        next += 2;
        await scene.WaitUntilKeptAsync(sent: next - 1, atLeast: 2, ct);
        var third = await ResumeAndCheckAsync(scene, scene.ProxyA.Through(scene.A.VoiceUri()), token, received, surelyKept, next, ct);
        Assert.NotEqual(token, third);

        Assert.Equal(received.Distinct().Order(), received);
        Assert.Equal(1, scene.Upstream.HandshakeCount);
        foreach (var secret in new[] { scene.Token, token, third })
        {
            Assert.DoesNotContain(secret, scene.A.Logs.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, scene.B.Logs.AllText, StringComparison.Ordinal);
        }

        // Redis holds the live token's hash, never a token.
        var dump = await scene.RedisDumpAsync();
        Assert.Contains(FleetResumeScene.KeyOf(third), dump, StringComparison.Ordinal);
        Assert.DoesNotContain(third, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(FleetResumeScene.KeyOf(scene.Token), dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThroughAnotherNode_TheServiceClosesWithACode_TheBrowserGetsItsCodeAndReason()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        scene.Browser = await BrowserClient.ConnectAsync(scene.B.VoiceUri(), ct, options => options.AddSubProtocol("voicebridge-resume." + scene.Token));
        Assert.Equal("bridge.session.resumed", (await scene.Browser.ReceiveAsync(ct))!.EventType);

        await scene.Connection.CloseAsync((WebSocketCloseStatus)4000, "service says goodbye", ct);
        await scene.Browser.ReadUntilClosedAsync(ct);

        Assert.Equal((WebSocketCloseStatus)4000, scene.Browser.Socket.CloseStatus);
        Assert.Equal("service says goodbye", scene.Browser.Socket.CloseStatusDescription);
        await scene.A.WaitForNoSessionsAsync(ct);
        await scene.B.Logs.WaitForLineAsync(line => line.Contains("[121]", StringComparison.Ordinal), ct);
    }

    [Fact]
    public async Task ThroughAnotherNode_TheBrowserHangsUp_TheCallEndsOnItsNode_UpstreamClosed1000()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        scene.Browser = await BrowserClient.ConnectAsync(scene.B.VoiceUri(), ct, options => options.AddSubProtocol("voicebridge-resume." + scene.Token));
        Assert.Equal("bridge.session.resumed", (await scene.Browser.ReceiveAsync(ct))!.EventType);

        // A close frame is a hang-up, not a blip: the owner ends the call (no detach) and answers the close through the relay.
        await scene.Browser.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        await scene.Connection.Ended.WaitAsync(ct);
        await scene.A.WaitForNoSessionsAsync(ct);

        Assert.Equal(WebSocketState.Closed, scene.Browser.Socket.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, scene.Connection.Socket.ReceivedCloseStatus);
        Assert.Contains("browser_closed", scene.A.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeThroughAnotherNode_UnknownOrSpentToken_404BeforeAnyUpgrade()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);

        var unknown = Base64UrlToken();
        await using (var refused = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri($"?resume_token={unknown}"), ct))
        {
            Assert.Equal(404, refused.Status);
            Assert.Contains("resume_not_found", await refused.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        // Spent on node A itself; node B then finds no owner (or the owner says 404): the same answer.
        await using var resumed = await BrowserClient.ConnectAsync(scene.A.VoiceUri(), ct, options => options.AddSubProtocol("voicebridge-resume." + scene.Token));
        Assert.Equal("bridge.session.resumed", (await resumed.ReceiveAsync(ct))!.EventType);
        await using (var spent = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri(), ct, $"Sec-WebSocket-Protocol: realtime, voicebridge-resume.{scene.Token}"))
        {
            Assert.Equal(404, spent.Status);
            Assert.Contains("resume_not_found", await spent.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        Assert.Empty(scene.B.Registry.Sessions);
    }

    [Fact]
    public async Task WithTokens_ThroughAnotherNode_NoneIs401_AnotherSubjectIs403_TheOwnerResumes()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct, BrowserToken("user-1"), true, ("VoiceBridge:Auth:Mode", "Token"), ("VoiceBridge:Auth:SigningKey", HandJwt.KeyBase64));
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);

        await using (var none = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri($"?resume_token={scene.Token}"), ct))
        {
            Assert.Equal(401, none.Status);
            Assert.Contains("WWW-Authenticate: Bearer", none.ResponseHead, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("missing_token", await none.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        await using (var other = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri($"?resume_token={scene.Token}&access_token={BrowserToken("user-2")}"), ct))
        {
            Assert.Equal(403, other.Status);
            Assert.Contains("resume_forbidden", await other.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        // Refusals spend nothing: the owner, with a fresh token of its own, resumes through node B.
        await using var resumed = await BrowserClient.ConnectAsync(scene.B.VoiceUri(), ct, options =>
        {
            options.AddSubProtocol("voicebridge-resume." + scene.Token);
            options.AddSubProtocol("openai-insecure-api-key." + BrowserToken("user-1"));
        });
        Assert.Equal("realtime", resumed.Socket.SubProtocol);
        Assert.Equal("bridge.session.resumed", (await resumed.ReceiveAsync(ct))!.EventType);
    }

    [Fact]
    public async Task InternalRoute_NoBadStaleOrMisdirectedSignature_403_NoSessionTouched()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        var key = FleetResumeScene.KeyOf(scene.Token);
        var internalUri = new Uri(scene.A.VoiceUri().ToString().Replace("/voice", ResumeHop.Path, StringComparison.Ordinal));
        var now = DateTimeOffset.UtcNow;
        string Signed(string secret, DateTimeOffset at, string to) => FleetSignature.Sign(secret, ResumeHop.Purpose, at, ResumeHop.Payload(key, "node-b", to, "127.0.0.1", string.Empty));
        string?[] signatures =
        [
            null,
            "garbage",
            Signed("another-secret", now, "node-a"),
            Signed(FleetNodes.Secret, now.AddSeconds(-31), "node-a"),
            Signed(FleetNodes.Secret, now, "node-c"),
            FleetSignature.Sign(FleetNodes.Secret, "admin", now, ResumeHop.Payload(key, "node-b", "node-a", "127.0.0.1", string.Empty)),
        ];
        foreach (var signature in signatures)
        {
            var to = signature == signatures[4] ? "node-c" : "node-a";
            string[] headers =
            [
                $"{ResumeHop.TokenHeader}: {scene.Token}", $"{ResumeHop.FromHeader}: node-b", $"{ResumeHop.ToHeader}: {to}", $"{ResumeHop.ClientHeader}: 127.0.0.1",
                .. signature is null ? Array.Empty<string>() : [$"{ResumeHop.SignatureHeader}: {signature}"],
            ];
            await using var refused = await RawWebSocketClient.ConnectAsync(internalUri, ct, headers);
            Assert.Equal(403, refused.Status);
        }

        Assert.True(scene.A.Registry.Sessions.Single().IsDetached);
        Assert.Contains("[123]", scene.A.Logs.AllText, StringComparison.Ordinal);

        // Still resumable with the same token (nothing was spent): through node B, whose hop is signed.
        await using var resumed = await BrowserClient.ConnectAsync(scene.B.VoiceUri(), ct, options => options.AddSubProtocol("voicebridge-resume." + scene.Token));
        Assert.Equal("bridge.session.resumed", (await resumed.ReceiveAsync(ct))!.EventType);
    }

    [Fact]
    public async Task OwnerUnreachable_ResumeThroughAnotherNode_404()
    {
        var ct = TestTimeout.Token(30);

        // Node A's InternalUrl answers nothing (a firewall, a wrong address): the directory names it, the hop fails.
        await using var scene = await FleetResumeScene.StartAsync(ct, ownerReachable: false);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);

        await using var refused = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri($"?resume_token={scene.Token}"), ct);
        Assert.Equal(404, refused.Status);
        Assert.Contains("resume_not_found", await refused.ReadBodyAsync(ct), StringComparison.Ordinal);
        Assert.Contains("[122]", scene.B.Logs.AllText, StringComparison.Ordinal);
        Assert.True(scene.A.Registry.Sessions.Single().IsDetached);
    }

    [Fact]
    public async Task OwnerGone_ResumeThroughAnotherNode_404()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);

        // Node A stops: its session, its token and its directory entries go with it.
        await scene.A.DisposeAsync();
        await using var gone = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri($"?resume_token={scene.Token}"), ct);
        Assert.Equal(404, gone.Status);
        Assert.Contains("resume_not_found", await gone.ReadBodyAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RedisDown_ResumeOfAnotherNodesSession404_ResumeOnTheOwnerWorks()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetResumeScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        await scene.Redis.StopAsync();

        await using (var refused = await RawWebSocketClient.ConnectAsync(scene.B.VoiceUri($"?resume_token={scene.Token}"), ct))
        {
            Assert.Equal(404, refused.Status);
            Assert.Contains("resume_not_found", await refused.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        await using var resumed = await BrowserClient.ConnectAsync(scene.A.VoiceUri(), ct, options => options.AddSubProtocol("voicebridge-resume." + scene.Token));
        Assert.Equal("bridge.session.resumed", (await resumed.ReceiveAsync(ct))!.EventType);
    }

    private static string BrowserToken(string subject) => HandJwt.Sign(HandJwt.Claims(DateTimeOffset.UtcNow.AddMinutes(5), subject));

    private static string Base64UrlToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Resumes with <paramref name="token"/> at <paramref name="uri"/>, checks the replay and one live event, and returns the next token.</summary>
    private static async Task<string> ResumeAndCheckAsync(FleetResumeScene scene, Uri uri, string token, List<int> received, int surelyKept, int live, CancellationToken ct)
    {
        var browser = await BrowserClient.ConnectAsync(uri, ct, options => options.AddSubProtocol("voicebridge-resume." + token));
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
        Assert.Equal(replayed + 1, afterResume.Count);
        Assert.Equal(Enumerable.Range(surelyKept, live - surelyKept + 1), afterResume.Where(id => id >= surelyKept));
        return newToken;
    }
}
