using System.Security.Cryptography;
using System.Text;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>Redis, two reachable nodes each behind a cut proxy, and one call on node A whose token Redis already knows.</summary>
internal sealed class FleetResumeScene : IAsyncDisposable
{
    private FleetResumeScene(RedisServer redis, FakeUpstream upstream, BridgeApp a, BridgeApp b, TcpCutProxy proxyA, TcpCutProxy proxyB)
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

    /// <summary>What the fleet's directory knows a token by: its SHA-256, in hex.</summary>
    public static string KeyOf(string token) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    public static async Task<FleetResumeScene> StartAsync(CancellationToken ct, string? accessToken = null, bool ownerReachable = true, params (string Key, string Value)[] settings)
    {
        var redis = await RedisServer.StartAsync(ct);
        var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        var a = ownerReachable
            ? await FleetNodes.JoinReachableAsync(upstream, redis, "node-a", ct, settings)
            : await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, settings);
        var b = await FleetNodes.JoinReachableAsync(upstream, redis, "node-b", ct, settings);
        var scene = new FleetResumeScene(redis, upstream, a, b, new TcpCutProxy(a.BaseUri.Port), new TcpCutProxy(b.BaseUri.Port));
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

    public Task WaitUntilKeptAsync(int sent, int atLeast, CancellationToken ct) =>
        Continuity.ResumeTraffic.WaitUntilKeptAsync(A.Registry.Sessions.Single(), sent, atLeast, ct);

    public Task SendAudioAsync(int first, int count, CancellationToken ct) => Continuity.ResumeTraffic.SendAudioAsync(Connection, first, count, ct);

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
