using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Diagnostics;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>
/// A fleet of bridge nodes on a real redis-server (CONTRACT.md, "Fleet"): two hosts in this process, each with its own
/// NodeId, plus a real process where a node must die with SIGKILL.
/// </summary>
public sealed class FleetTests
{
    private const string Secret = FleetNodes.Secret;
    private const string AdminKey = FleetNodes.AdminKey;

    [Fact]
    public async Task FleetCap_HoldsAcrossNodes_AndASlotFreedOnOneNodeServesTheOther()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, ("VoiceBridge:Cluster:MaxFleetSessions", "2"));
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, ("VoiceBridge:Cluster:MaxFleetSessions", "2"));

        var first = await BrowserClient.ConnectAsync(a.VoiceUri(), ct);
        await using var second = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        foreach (var node in new[] { a, b })
        {
            await using var refused = await RawWebSocketClient.ConnectAsync(node.VoiceUri(), ct);
            Assert.Equal(503, refused.Status);
            Assert.Contains("Retry-After:", refused.ResponseHead, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("server_busy", await refused.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        await first.DisposeAsync();
        await a.WaitForNoSessionsAsync(ct);

        await using var again = await RawWebSocketClient.ConnectAsync(b.VoiceUri(), ct);
        Assert.Equal(101, again.Status);
    }

    [Fact]
    public async Task FleetCap_ConcurrentUpgradesOnTwoNodes_AdmitExactlyTheCap()
    {
        var ct = TestTimeout.Token(40);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        (string, string)[] settings = [("VoiceBridge:Cluster:MaxFleetSessions", "5"), ("VoiceBridge:Limits:MaxSessionsPerClient", "100")];
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, settings);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, settings);

        // Twenty upgrades at once, ten per node: the count and the registration are one step in Redis, so no two
        // admissions can both see room for one more.
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => RawWebSocketClient.ConnectAsync((i % 2 == 0 ? a : b).VoiceUri(), ct)));
        try
        {
            Assert.Equal(5, clients.Count(c => c.Status == 101));
            Assert.Equal(15, clients.Count(c => c.Status == 503));
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task MaxSessionsPerClient_CountsAcrossNodes_SecondOnAnotherNodeGets429()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, ("VoiceBridge:Limits:MaxSessionsPerClient", "1"));
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, ("VoiceBridge:Limits:MaxSessionsPerClient", "1"));
        await using var first = await BrowserClient.ConnectAsync(a.VoiceUri(), ct);
        await upstream.WaitForHandshakesAsync(1, ct);

        await using var second = await RawWebSocketClient.ConnectAsync(b.VoiceUri(), ct);

        Assert.Equal(429, second.Status);
        Assert.Contains("Retry-After:", second.ResponseHead, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("too_many_sessions", await second.ReadBodyAsync(ct), StringComparison.Ordinal);
        Assert.Equal(1, upstream.HandshakeCount);
    }

    [Fact]
    public async Task ConnectsPerMinutePerIp_CountsAcrossNodes_ThirdUpgradeGets429RateLimited()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, ("VoiceBridge:Limits:ConnectsPerMinutePerIp", "2"));
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, ("VoiceBridge:Limits:ConnectsPerMinutePerIp", "2"));

        await using var first = await RawWebSocketClient.ConnectAsync(a.VoiceUri(), ct);
        await using var second = await RawWebSocketClient.ConnectAsync(b.VoiceUri(), ct);

        // Node a has taken one upgrade of its own two: only the fleet's count refuses this one.
        await using var third = await RawWebSocketClient.ConnectAsync(a.VoiceUri(), ct);

        Assert.Equal(101, first.Status);
        Assert.Equal(101, second.Status);
        Assert.Equal(429, third.Status);
        Assert.Matches("(?im)^Retry-After: *[1-9][0-9]*\\r?$", third.ResponseHead);
        Assert.Contains("rate_limited", await third.ReadBodyAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeKilledWithSigkill_ItsSessionsStopCountingWithinTheLease()
    {
        using var timeout = TestTimeout.Source(60);
        var ct = timeout.Token;
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        var lease = TimeSpan.FromSeconds(2);
        var port = BridgeProcess.FreeLoopbackPort();
        var doomed = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Upstream__Url"] = upstream.Url.ToString(),
            ["VoiceBridge__Cluster__Redis"] = redis.Configuration,
            ["VoiceBridge__Cluster__NodeId"] = "node-doomed",
            ["VoiceBridge__Cluster__Secret"] = Secret,
            ["VoiceBridge__Cluster__InternalUrl"] = $"http://127.0.0.1:{port}",
            ["VoiceBridge__Cluster__LeaseTime"] = "00:00:02",
            ["VoiceBridge__Cluster__MaxFleetSessions"] = "1",
            ["VoiceBridge__Limits__MaxSessionsPerClient"] = "1",
        });
        try
        {
            (await doomed.WaitForHealthyAsync(ct)).Dispose();
            await FleetNodes.WaitForAsync(async () => await redis.Database.SortedSetScoreAsync(FleetRegistry.KeyPrefix + "nodes", "node-doomed") is not null, ct);
            // Both caps at one: the upgrade that finally succeeds shows the dead node's session left the fleet count and its
            // client's count (the same address) alike.
            await using var survivor = await FleetNodes.JoinAsync(
                upstream, redis, "node-survivor", ct, ("VoiceBridge:Cluster:MaxFleetSessions", "1"), ("VoiceBridge:Limits:MaxSessionsPerClient", "1"), ("VoiceBridge:Cluster:LeaseTime", "00:00:02"));
            var browser = await BrowserClient.ConnectAsync(new Uri($"ws://127.0.0.1:{doomed.Port}/voice"), ct);
            await browser.WaitForEventAsync("session.created", ct);
            await using (var refused = await RawWebSocketClient.ConnectAsync(survivor.VoiceUri(), ct))
            {
                Assert.Equal(503, refused.Status);
            }

            await doomed.DisposeAsync(); // SIGKILL: no unregistering, no leaving
            var killed = Stopwatch.StartNew();
            await browser.DisposeAsync();

            // The lease runs on Redis's clock: poll the upgrade until the dead node's session stops counting.
            while (true)
            {
                await using var attempt = await RawWebSocketClient.ConnectAsync(survivor.VoiceUri(), ct);
                if (attempt.Status == 101)
                {
                    break;
                }

                Assert.Equal(503, attempt.Status);
                await Task.Delay(100, ct);
            }

            // The lease itself runs out at most 2 s after the kill; the rest is this test's polling on a loaded machine.
            Assert.True(killed.Elapsed < lease + TimeSpan.FromSeconds(3), $"freed after {killed.Elapsed}");
            Assert.Null(await redis.Database.SortedSetScoreAsync(FleetRegistry.KeyPrefix + "nodes", "node-doomed"));
            Assert.DoesNotContain(
                await redis.Database.SetMembersAsync(FleetRegistry.KeyPrefix + "client:ip:127.0.0.1"),
                member => member.ToString().EndsWith("@node-doomed", StringComparison.Ordinal));
        }
        finally
        {
            await doomed.DisposeAsync();
        }
    }

    [Fact]
    public async Task RedisDown_CallsGoOn_NewCallsUnderLocalLimits_MetricZero_ThenRejoins()
    {
        using var timeout = TestTimeout.Source(60);
        var ct = timeout.Token;
        const string Password = "redis-pw-7d9f1b3c5e";
        await using var redis = await RedisServer.StartAsync(ct, Password);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var node = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, ("VoiceBridge:Cluster:MaxFleetSessions", "1"), ("VoiceBridge:Limits:MaxSessions", "2"));
        var fleet = node.Services.GetRequiredService<FleetRegistry>();
        Assert.Equal(1, (await FleetNodes.ScrapeAsync(node, ct)).Value("voicebridge_cluster_connected"));
        await using var call = await BrowserClient.ConnectAsync(node.VoiceUri(), ct);
        await call.WaitForEventAsync("session.created", ct);
        await using (var fleetFull = await RawWebSocketClient.ConnectAsync(node.VoiceUri(), ct))
        {
            Assert.Equal(503, fleetFull.Status);
        }

        await redis.StopAsync();
        var lost = Stopwatch.StartNew();
        await node.WaitUntilAsync(() => !fleet.IsConnected, ct);
        Assert.True(lost.Elapsed < TimeSpan.FromSeconds(10), $"noticed after {lost.Elapsed}");
        Assert.Equal(0, (await FleetNodes.ScrapeAsync(node, ct)).Value("voicebridge_cluster_connected"));

        // The call goes on.
        await call.SendTextAsync("""{"type":"response.create"}""", ct);
        await call.WaitForEventAsync("response.done", ct);

        // New calls are admitted under the node's own limits (MaxSessions 2), not the fleet's (1, unknowable now).
        await using var admitted = await BrowserClient.ConnectAsync(node.VoiceUri(), ct);
        await admitted.WaitForEventAsync("session.created", ct);
        await using (var localFull = await RawWebSocketClient.ConnectAsync(node.VoiceUri(), ct))
        {
            Assert.Equal(503, localFull.Status);
        }

        using (var http = node.CreateHttpClient())
        using (var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await redis.RestartAsync(ct);
        var back = Stopwatch.StartNew();
        await node.WaitUntilAsync(() => fleet.IsConnected, ct);
        Assert.True(back.Elapsed < TimeSpan.FromSeconds(10), $"rejoined after {back.Elapsed}");
        Assert.Equal(1, (await FleetNodes.ScrapeAsync(node, ct)).Value("voicebridge_cluster_connected"));

        // Rejoined: the empty Redis holds both calls of the node again, and the calls are still up.
        Assert.Equal(2, await redis.Database.HashLengthAsync(FleetRegistry.KeyPrefix + "node:node-a"));
        await admitted.SendTextAsync("""{"type":"response.create"}""", ct);
        await admitted.WaitForEventAsync("response.done", ct);
        Assert.Equal(2, node.Registry.Count);

        // One line per change of state, and never the Redis password or the cluster secret, in logs or metrics.
        Assert.Equal(2, node.Logs.Lines.Count(l => l.Contains("[110]", StringComparison.Ordinal)));
        Assert.Equal(1, node.Logs.Lines.Count(l => l.Contains("[111]", StringComparison.Ordinal)));
        var metricsText = (await FleetNodes.ScrapeAsync(node, ct)).Text;
        foreach (var secret in (string[])[Password, Secret])
        {
            Assert.DoesNotContain(secret, node.Logs.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, metricsText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AdminList_OnAnyNode_ListsEveryNodesSessionsWithTheirNode_AndForgetsANodeThatLeft()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, ("VoiceBridge:Admin:ApiKey", AdminKey));
        var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, ("VoiceBridge:Admin:ApiKey", AdminKey));
        await using var onA = await BrowserClient.ConnectAsync(a.VoiceUri(), ct);
        await onA.WaitForEventAsync("session.created", ct);
        await using var onB = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        await onB.WaitForEventAsync("session.created", ct);
        var idOnB = Assert.Single(b.Registry.Sessions).Id;
        using var http = a.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);

        // Node b publishes its list with each heartbeat (at most a second apart).
        List<(string Id, string Node)> listed = [];
        await FleetNodes.WaitForAsync(async () => (listed = await FleetNodes.ListAsync(http, ct)).Count == 2, ct);

        Assert.Contains((Assert.Single(a.Registry.Sessions).Id, "node-a"), listed);
        Assert.Contains((idOnB, "node-b"), listed);

        await b.DisposeAsync(); // a clean stop: the node leaves the fleet at once
        Assert.Equal("node-a", Assert.Single(await FleetNodes.ListAsync(http, ct)).Node);
    }

    [Fact]
    public async Task RedisUnreachableAtStart_TheNodeStartsAndServesUnderLocalLimits_MetricZero()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var node = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Cluster:Redis"] = $"127.0.0.1:{BridgeProcess.FreeLoopbackPort()}", // nothing listens there
            ["VoiceBridge:Cluster:NodeId"] = "node-alone",
            ["VoiceBridge:Cluster:Secret"] = Secret,
            ["VoiceBridge:Cluster:InternalUrl"] = "http://127.0.0.1:1",
            ["VoiceBridge:Limits:MaxSessionsPerClient"] = "1",
        });
        _ = node.BaseUri;
        await node.Logs.WaitForLineAsync(l => l.Contains("[111]", StringComparison.Ordinal), ct);

        await using var call = await BrowserClient.ConnectAsync(node.VoiceUri(), ct);
        await call.WaitForEventAsync("session.created", ct);
        await using (var second = await RawWebSocketClient.ConnectAsync(node.VoiceUri(), ct))
        {
            Assert.Equal(429, second.Status);
        }

        Assert.Equal(0, (await FleetNodes.ScrapeAsync(node, ct)).Value("voicebridge_cluster_connected"));
        using var http = node.CreateHttpClient();
        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public async Task WithoutRedis_NothingChanges_AndTheMetricIsAbsent()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.created", ct);

        Assert.False(bridge.Services.GetRequiredService<FleetRegistry>().Enabled);
        Assert.False((await FleetNodes.ScrapeAsync(bridge, ct)).Has("voicebridge_cluster_connected"));
        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("Fleet", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Startup_RedisWithoutSecret_ExitsTwoWithOneLineNamingTheKeyAndNoPassword()
    {
        using var timeout = TestTimeout.Source(60);
        const string Password = "redis-pw-3e5a7c9b1d";
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Cluster__Redis"] = $"127.0.0.1:1,password={Password}",
            ["VoiceBridge__Cluster__InternalUrl"] = "http://127.0.0.1:8080",
        });

        var exitCode = await bridge.WaitForExitAsync(timeout.Token);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{bridge.Transcript}");
        var line = Assert.Single(bridge.StderrLines);
        Assert.StartsWith("VoiceBridge: invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Cluster:Secret", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, bridge.Transcript, StringComparison.Ordinal);
    }
}
