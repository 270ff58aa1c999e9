using System.Net;
using Microsoft.Extensions.DependencyInjection;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Diagnostics;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>Nodes of a test fleet: bridges in this process joined to one real redis-server, and what tests ask of them.</summary>
internal static class FleetNodes
{
    public const string Secret = "fleet-test-secret-1f3a5c7e9b2d";
    public const string AdminKey = "fleet-admin-key-0123456789abcdef";

    /// <summary>A bridge in this process joined to the fleet (its heartbeat has reached Redis).</summary>
    public static Task<BridgeApp> JoinAsync(FakeUpstream upstream, RedisServer redis, string nodeId, CancellationToken ct, params (string Key, string Value)[] settings) =>
        JoinOnPortAsync(upstream, redis, nodeId, port: 0, settings, ct);

    /// <summary>
    /// A node that other nodes can reach: it listens on a port chosen first, and its <c>InternalUrl</c> names it (the
    /// resume relay dials it). <see cref="JoinAsync(FakeUpstream, RedisServer, string, CancellationToken, ValueTuple{string, string}[])"/>'s
    /// nodes are unreachable to each other.
    /// </summary>
    public static Task<BridgeApp> JoinReachableAsync(FakeUpstream upstream, RedisServer redis, string nodeId, CancellationToken ct, params (string Key, string Value)[] settings) =>
        JoinOnPortAsync(upstream, redis, nodeId, ProcessLevel.BridgeProcess.FreeLoopbackPort(), settings, ct);

    private static async Task<BridgeApp> JoinOnPortAsync(FakeUpstream upstream, RedisServer redis, string nodeId, int port, (string Key, string Value)[] settings, CancellationToken ct)
    {
        var all = new Dictionary<string, string?>
        {
            ["VoiceBridge:Cluster:Redis"] = redis.Configuration,
            ["VoiceBridge:Cluster:NodeId"] = nodeId,
            ["VoiceBridge:Cluster:Secret"] = Secret,
            ["VoiceBridge:Cluster:InternalUrl"] = port == 0 ? "http://127.0.0.1:1" : $"http://127.0.0.1:{port}",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var bridge = new BridgeApp(upstream.Url, all, port: port);
        _ = bridge.BaseUri;
        var fleet = bridge.Services.GetRequiredService<FleetRegistry>();
        await bridge.WaitUntilAsync(() => fleet.IsConnected, ct);

        // Subscribed to its command channel too: admin actions routed to it from now on reach it.
        await bridge.Services.GetRequiredService<FleetCommandListener>().Listening.WaitAsync(ct);
        return bridge;
    }

    /// <summary>An HTTP client for the node's admin API (the fleet's test admin key).</summary>
    public static HttpClient Admin(BridgeApp bridge)
    {
        var http = bridge.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);
        return http;
    }

    public static async Task WaitForAsync(Func<Task<bool>> condition, CancellationToken ct)
    {
        while (!await condition())
        {
            await Task.Delay(50, ct);
        }
    }

    public static async Task<List<(string Id, string Node)>> ListAsync(HttpClient http, CancellationToken ct)
    {
        using var list = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri("/admin/sessions", UriKind.Relative), ct));
        return [.. list.RootElement.GetProperty("sessions").EnumerateArray().Select(s => (s.GetProperty("id").GetString()!, s.GetProperty("node").GetString()!))];
    }

    public static async Task<ScrapedMetrics> ScrapeAsync(BridgeApp bridge, CancellationToken cancellationToken)
    {
        using var http = bridge.CreateHttpClient();
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ScrapedMetrics.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    /// <summary>Reads an SSE stream to its end: the data events' types and the <c>end</c> event's account (null without one).</summary>
    public static async Task<(List<string> Types, string? Summary)> ReadStreamAsync(StreamReader sse, CancellationToken ct)
    {
        var types = new List<string>();
        var lastEvent = "message";
        while (await sse.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                lastEvent = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                if (lastEvent == "end")
                {
                    return (types, line);
                }

                using var json = System.Text.Json.JsonDocument.Parse(line["data: ".Length..]);
                types.Add(json.RootElement.GetProperty("type").GetString()!);
            }
        }

        return (types, null);
    }
}
