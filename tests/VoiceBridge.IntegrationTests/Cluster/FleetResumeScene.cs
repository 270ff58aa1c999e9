using System.Security.Cryptography;
using System.Text;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>Redis, two reachable nodes each behind a cut proxy, and one call on node A whose token Redis already knows.</summary>
internal sealed class FleetResumeScene : IAsyncDisposable
{
    private static readonly string AudioBase64 = Convert.ToBase64String(new byte[480]);

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
