using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>
/// Resume on any node (CONTRACT.md, "Fleet"): two nodes on a real redis-server, each reachable at its InternalUrl; a
/// browser whose call lives on node A resumes through node B, which relays it over the signed internal hop. A TCP proxy
/// in front of each node cuts the browser's connection (RST, no close frame); the fake service is passive, so the test
/// alone numbers every event it sends.
/// </summary>
public sealed class FleetResumeTests
{
    private static readonly string AudioBase64 = Convert.ToBase64String(new byte[480]);

    [Fact]
    public async Task ResumeThroughAnotherNode_KeptEventsOnceInOrder_LiveBothWays_ThenBackThroughTheOwner()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetScene.StartAsync(ct);
        var received = new List<int>();
        var next = 1;
        await scene.SendAudioAsync(next, 3, ct);
        next += 3;
        await ReadEventsAsync(scene.Browser, received, until: 3, ct);

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
        Assert.Contains(KeyOf(third), dump, StringComparison.Ordinal);
        Assert.DoesNotContain(third, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(KeyOf(scene.Token), dump, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeThroughAnotherNode_UnknownOrSpentToken_404BeforeAnyUpgrade()
    {
        var ct = TestTimeout.Token(30);
        await using var scene = await FleetScene.StartAsync(ct);
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
        await using var scene = await FleetScene.StartAsync(ct, BrowserToken("user-1"), true, ("VoiceBridge:Auth:Mode", "Token"), ("VoiceBridge:Auth:SigningKey", HandJwt.KeyBase64));
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
        await using var scene = await FleetScene.StartAsync(ct);
        scene.ProxyA.Cut();
        await scene.A.WaitUntilAsync(() => scene.A.Registry.Sessions.Any(s => s.IsDetached), ct);
        var key = KeyOf(scene.Token);
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
        await using var scene = await FleetScene.StartAsync(ct, ownerReachable: false);
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
        await using var scene = await FleetScene.StartAsync(ct);
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
        await using var scene = await FleetScene.StartAsync(ct);
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

    private static string KeyOf(string token) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    private static string Base64UrlToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Resumes with <paramref name="token"/> at <paramref name="uri"/>, checks the replay and one live event, and returns the next token.</summary>
    private static async Task<string> ResumeAndCheckAsync(FleetScene scene, Uri uri, string token, List<int> received, int surelyKept, int live, CancellationToken ct)
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
        await ReadEventsAsync(browser, received, until: live, ct);
        var afterResume = received.Skip(before).ToList();
        Assert.Equal(replayed + 1, afterResume.Count);
        Assert.Equal(Enumerable.Range(surelyKept, live - surelyKept + 1), afterResume.Where(id => id >= surelyKept));
        return newToken;
    }

    /// <summary>Reads audio deltas (JSON, then its PCM as a binary frame) until event <paramref name="until"/>.</summary>
    private static async Task ReadEventsAsync(BrowserClient browser, List<int> received, int until, CancellationToken ct)
    {
        while (received.Count == 0 || received[^1] != until)
        {
            var message = await browser.ReceiveAsync(ct) ?? throw new InvalidOperationException("The bridge closed the browser.");
            Assert.Equal(WebSocketMessageType.Text, message.Type);
            Assert.Equal("response.output_audio.delta", message.EventType);
            received.Add(int.Parse(message.Json.GetProperty("event_id").GetString()!["e".Length..], CultureInfo.InvariantCulture));
            var pcm = await browser.ReceiveAsync(ct);
            Assert.Equal(WebSocketMessageType.Binary, pcm!.Type);
            Assert.Equal(480, pcm.Payload.Length);
        }
    }

    /// <summary>Redis, two reachable nodes each behind a cut proxy, and one call on node A whose token Redis already knows.</summary>
    private sealed class FleetScene : IAsyncDisposable
    {
        private FleetScene(RedisServer redis, FakeUpstream upstream, BridgeApp a, BridgeApp b, TcpCutProxy proxyA, TcpCutProxy proxyB)
        {
            Redis = redis;
            Upstream = upstream;
            A = a;
            B = b;
            ProxyA = proxyA;
            ProxyB = proxyB;
        }

        public RedisServer Redis { get; }

        public FakeUpstream Upstream { get; }

        public BridgeApp A { get; }

        public BridgeApp B { get; }

        public TcpCutProxy ProxyA { get; }

        public TcpCutProxy ProxyB { get; }

        public BrowserClient Browser { get; set; } = null!;

        public UpstreamConnection Connection { get; private set; } = null!;

        /// <summary>The resume token of <c>bridge.session.created</c>.</summary>
        public string Token { get; private set; } = null!;

        public static async Task<FleetScene> StartAsync(CancellationToken ct, string? accessToken = null, bool ownerReachable = true, params (string Key, string Value)[] settings)
        {
            var redis = await RedisServer.StartAsync(ct);
            var upstream = await FakeUpstream.StartAsync();
            upstream.RunSimulator = false;
            var a = ownerReachable
                ? await FleetNodes.JoinReachableAsync(upstream, redis, "node-a", ct, settings)
                : await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, settings);
            var b = await FleetNodes.JoinReachableAsync(upstream, redis, "node-b", ct, settings);
            var scene = new FleetScene(redis, upstream, a, b, new TcpCutProxy(a.BaseUri.Port), new TcpCutProxy(b.BaseUri.Port));
            var query = "?bridge_events=1&audio=binary" + (accessToken is null ? string.Empty : "&access_token=" + accessToken);
            scene.Browser = await BrowserClient.ConnectAsync(scene.ProxyA.Through(a.VoiceUri(query)), ct);
            scene.Connection = await upstream.NextConnectionAsync(ct);
            await scene.Connection.Socket.WaitForFramesAsync(1, ct);
            scene.Token = (await scene.Browser.WaitForEventAsync("bridge.session.created", ct)).Json.GetProperty("resume_token").GetString()!;

            // Written to Redis beside the call, not before the token is sent: wait until node B can find it.
            var key = KeyOf(scene.Token);
            await FleetNodes.WaitForAsync(async () => await redis.Database.HashExistsAsync(FleetRegistry.KeyPrefix + "resume:node-a", key), ct);
            return scene;
        }

        /// <summary>As in the single-node resume tests: the bridge has read all it was sent and keeps at least <paramref name="atLeast"/>.</summary>
        public async Task WaitUntilKeptAsync(int sent, int atLeast, CancellationToken ct)
        {
            var session = A.Registry.Sessions.Single();
            while (session.Statistics.UpstreamFramesIn < sent || session.KeptEvents < atLeast || session.ToBrowser.Count > 0)
            {
                // The bridge logs nothing per event: poll (bounded by the test's timeout).
                await Task.Delay(5, ct);
            }
        }

        /// <summary>The service sends audio deltas <c>e{first}</c>… of one response.</summary>
        public async Task SendAudioAsync(int first, int count, CancellationToken ct)
        {
            for (var id = first; id < first + count; id++)
            {
                await Connection.SendTextAsync(
                    $$"""{"type":"response.output_audio.delta","event_id":"e{{id}}","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"{{AudioBase64}}"}""", ct);
            }
        }

        /// <summary>Every key and value the fleet holds in Redis, as text.</summary>
        public async Task<string> RedisDumpAsync()
        {
            var text = new StringBuilder();
            var server = Redis.Database.Multiplexer.GetServers().Single();
            await foreach (var key in server.KeysAsync(pattern: "*"))
            {
                text.Append(key.ToString()).Append('\n');
                var type = await Redis.Database.KeyTypeAsync(key);
                if (type == StackExchange.Redis.RedisType.Hash)
                {
                    foreach (var entry in await Redis.Database.HashGetAllAsync(key))
                    {
                        text.Append(entry.Name.ToString()).Append('=').Append(entry.Value.ToString()).Append('\n');
                    }
                }
                else if (type == StackExchange.Redis.RedisType.String)
                {
                    text.Append(await Redis.Database.StringGetAsync(key)).Append('\n');
                }
            }

            return text.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            await Browser.DisposeAsync();
            await ProxyA.DisposeAsync();
            await ProxyB.DisposeAsync();
            await B.DisposeAsync();
            await A.DisposeAsync();
            await Upstream.DisposeAsync();
            await Redis.DisposeAsync();
        }
    }
}
