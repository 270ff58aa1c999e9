using System.Diagnostics;
using System.Net;
using System.Text.Json;
using StackExchange.Redis;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;
using Xunit.Abstractions;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>
/// The event stream of a session another node holds (CONTRACT.md, "Fleet"): relayed from that node, it ends with the
/// call and when the node goes away; the node stops publishing when the watcher leaves or stops renewing.
/// </summary>
public sealed class FleetAdminStreamTests(ITestOutputHelper output)
{
    private static readonly (string, string) WithAdmin = ("VoiceBridge:Admin:ApiKey", FleetNodes.AdminKey);

    private static Uri Route(string path) => new(path, UriKind.Relative);

    [Fact]
    public async Task EventsOfACallOnNodeB_StreamThroughNodeA_AndEndWithTheCall()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        (string, string)[] settings = [WithAdmin, ("VoiceBridge:Session:TurnDetection", "none")];
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, settings);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, settings);
        var browser = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.updated", ct);
        var id = Assert.Single(b.Registry.Sessions).Id;
        using var http = FleetNodes.Admin(a);
        http.Timeout = Timeout.InfiniteTimeSpan;

        using var stream = await http.GetStreamAsync(Route($"/admin/sessions/{id}/events"), ct);
        using var sse = new StreamReader(stream);
        Assert.StartsWith(": watching", await sse.ReadLineAsync(ct), StringComparison.Ordinal);

        await browser.SendBinaryAsync(new byte[9600], ct);
        await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
        await browser.WaitForEventAsync("response.done", ct);
        await browser.DisposeAsync();

        var (types, summary) = await FleetNodes.ReadStreamAsync(sse, ct);

        Assert.Contains("input_audio_buffer.committed", types);
        Assert.Contains("response.created", types);
        Assert.Contains("response.done", types);
        Assert.DoesNotContain("response.output_audio.delta", types);
        Assert.NotNull(summary);
        Assert.Contains("\"responses\":1", summary, StringComparison.Ordinal);
        Assert.Equal("", await sse.ReadLineAsync(ct));
        Assert.Null(await sse.ReadLineAsync(ct)); // the stream is over
    }

    [Fact]
    public async Task RelayedStream_OwnerStopsPublishing_WhenTheWatcherLeaves_OrItsNodeStopsRenewing()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, WithAdmin);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, WithAdmin);
        await using var browser = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.created", ct);
        var session = Assert.Single(b.Registry.Sessions);
        using var http = FleetNodes.Admin(a);
        http.Timeout = Timeout.InfiniteTimeSpan;

        // The watcher hangs up: node a unsubscribes and says so, and node b lets go of the session's events.
        using (var watching = new CancellationTokenSource())
        {
            var stream = await http.GetStreamAsync(Route($"/admin/sessions/{session.Id}/events"), watching.Token);
            using (var sse = new StreamReader(stream))
            {
                Assert.StartsWith(": watching", await sse.ReadLineAsync(ct), StringComparison.Ordinal);
                Assert.True(session.Events.HasSubscribers);
                await watching.CancelAsync();
            }
        }

        await FleetNodes.WaitForAsync(() => Task.FromResult(!session.Events.HasSubscribers), ct);

        // An asking node that vanishes without a word (here: a watch sent by hand, never renewed, its reply channel
        // still subscribed): node b stops after InterestLimit on its own.
        await using var asker = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var watch = new FleetCommand(FleetWire.NewId(), "node-gone", "node-b", "watch", session.Id);
        var replies = await asker.GetSubscriber().SubscribeAsync(FleetWire.Replies(watch.Id));
        Assert.Equal(1, await asker.GetSubscriber().PublishAsync(FleetWire.Commands("node-b"), FleetWire.Encode(watch, FleetNodes.Secret, FleetWire.CommandPurpose, DateTimeOffset.UtcNow)));
        var first = await replies.ReadAsync(ct);
        Assert.Equal(FleetMessageVerdict.Accepted, FleetWire.Decode<FleetReply>((byte[])first.Message!, FleetNodes.Secret, FleetWire.ReplyPurpose, DateTimeOffset.UtcNow, out var started));
        Assert.Equal((FleetReply.Answer, 200), (started!.Kind, started.Status));
        Assert.True(session.Events.HasSubscribers);
        var since = Stopwatch.StartNew();

        await FleetNodes.WaitForAsync(() => Task.FromResult(!session.Events.HasSubscribers), ct);

        output.WriteLine($"an unrenewed watch stopped after {since.ElapsedMilliseconds} ms");
        // It stopped for the lapsed interest, not sooner (the clock here started a moment after node b's did).
        Assert.True(since.Elapsed >= FleetAdminTimings.InterestLimit - TimeSpan.FromSeconds(2), $"stopped after {since.Elapsed}");
        await replies.UnsubscribeAsync();
    }

    [Fact]
    public async Task NodeBKilled_AnOpenStreamEnds_AndActionsGet502NodeUnreachable_BeforeAndAfterItsLeaseLapses()
    {
        var ct = TestTimeout.Token(40);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, WithAdmin);
        var b = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Upstream__Url"] = upstream.Url.ToString(),
            ["VoiceBridge__Cluster__Redis"] = redis.Configuration,
            ["VoiceBridge__Cluster__NodeId"] = "node-b",
            ["VoiceBridge__Cluster__Secret"] = FleetNodes.Secret,
            ["VoiceBridge__Cluster__InternalUrl"] = "http://127.0.0.1:1",
            ["VoiceBridge__Cluster__LeaseTime"] = "00:00:02",
        });
        try
        {
            (await b.WaitForHealthyAsync(ct)).Dispose();
            await using var browser = await BrowserClient.ConnectAsync(new Uri($"ws://127.0.0.1:{b.Port}/voice"), ct);
            await browser.WaitForEventAsync("session.created", ct);
            using var http = FleetNodes.Admin(a);
            http.Timeout = Timeout.InfiniteTimeSpan;
            var id = "";
            await FleetNodes.WaitForAsync(async () => (await FleetNodes.ListAsync(http, ct)).FirstOrDefault(s => s.Node == "node-b").Id is { } found && (id = found) != "", ct);

            // Node b takes routed actions once it is subscribed (a moment after its first heartbeat).
            await FleetNodes.WaitForAsync(async () => (await http.GetAsync(Route($"/admin/sessions/{id}"), ct)).StatusCode == HttpStatusCode.OK, ct);
            using var stream = await http.GetStreamAsync(Route($"/admin/sessions/{id}/events"), ct);
            using var sse = new StreamReader(stream);
            Assert.StartsWith(": watching", await sse.ReadLineAsync(ct), StringComparison.Ordinal);

            await b.DisposeAsync(); // SIGKILL: no leave, its lease still holds for a while
            var killed = Stopwatch.StartNew();
            var (_, summary) = await FleetNodes.ReadStreamAsync(sse, ct);
            output.WriteLine($"the relayed stream ended {killed.ElapsedMilliseconds} ms after the kill");
            Assert.Null(summary); // no account: the node went away, not the call's end

            using var action = await http.PostAsync(Route($"/admin/sessions/{id}/interrupt"), null, ct);
            Assert.Equal(HttpStatusCode.BadGateway, action.StatusCode);
            using var body = JsonDocument.Parse(await action.Content.ReadAsStringAsync(ct));
            Assert.Equal("node_unreachable", body.RootElement.GetProperty("error").GetProperty("code").GetString());

            // Later, its lease lapsed (no admission has forgotten it yet): still 502, not 404, and the log says why.
            await FleetNodes.WaitForAsync(() => LeaseLapsedAsync(redis, "node-b"), ct);
            using var lapsed = await http.DeleteAsync(Route($"/admin/sessions/{id}"), ct);
            Assert.Equal(HttpStatusCode.BadGateway, lapsed.StatusCode);
            Assert.Contains("its lease lapsed", a.Logs.AllText, StringComparison.Ordinal);
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    /// <summary>The node's lease in Redis has run out on Redis's clock (the node is still listed, as no admission forgot it).</summary>
    private static async Task<bool> LeaseLapsedAsync(RedisServer redis, string node)
    {
        var expiry = await redis.Database.SortedSetScoreAsync(FleetRegistry.KeyPrefix + "nodes", node);
        var time = (RedisResult[])(await redis.Database.ExecuteAsync("TIME"))!;
        var nowMs = ((long)time[0] * 1000) + ((long)time[1] / 1000);
        Assert.NotNull(expiry);
        return expiry < nowMs;
    }
}
