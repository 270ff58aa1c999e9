using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using VoiceBridge.Cluster;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;
using Xunit.Abstractions;

namespace VoiceBridge.IntegrationTests.Cluster;

/// <summary>
/// The admin API on any node acts on every node's calls (CONTRACT.md, "Fleet"): an action on a session another node
/// holds is routed to that node over Redis pub/sub, signed with <c>Cluster:Secret</c>, and answered as if it were local.
/// </summary>
public sealed class FleetAdminTests(ITestOutputHelper output)
{
    private static readonly (string, string) WithAdmin = ("VoiceBridge:Admin:ApiKey", FleetNodes.AdminKey);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static Uri Route(string path) => new(path, UriKind.Relative);

    [Fact]
    public async Task AdminOnNodeA_GetsInjectsPushesInterruptsAndEnds_ACallOnNodeB()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync(o => o.DeltaInterval = TimeSpan.FromMilliseconds(30));
        (string, string)[] settings = [WithAdmin, ("VoiceBridge:Session:TurnDetection", "none")];
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, settings);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, settings);
        await using var browser = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await browser.WaitForEventAsync("session.updated", ct);
        var id = Assert.Single(b.Registry.Sessions).Id;
        using var http = FleetNodes.Admin(a);
        using var onB = FleetNodes.Admin(b);

        // Get: the same account node b gives for its own session.
        using (var remote = await http.GetAsync(Route($"/admin/sessions/{id}"), ct))
        using (var local = await onB.GetAsync(Route($"/admin/sessions/{id}"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, remote.StatusCode);
            Assert.Equal("application/json; charset=utf-8", remote.Content.Headers.ContentType!.ToString());
            using var remoteJson = JsonDocument.Parse(await remote.Content.ReadAsStringAsync(ct));
            using var localJson = JsonDocument.Parse(await local.Content.ReadAsStringAsync(ct));
            Assert.Equal(
                localJson.RootElement.EnumerateObject().Select(p => p.Name),
                remoteJson.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(localJson.RootElement.GetProperty("upstreamConnections").GetInt32(), remoteJson.RootElement.GetProperty("upstreamConnections").GetInt32());
        }

        // Inject: the system message reaches node b's upstream, byte for byte.
        var system = """{"type":"conversation.item.create","item":{"type":"message","role":"system","content":[{"type":"input_text","text":"Premium customer."}]}}""";
        var before = connection.Received.Count;
        using (var injected = await http.PostAsync(Route($"/admin/sessions/{id}/upstream"), Json(system), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, injected.StatusCode);
            Assert.Equal("""{"status":"queued","id":null}""", await injected.Content.ReadAsStringAsync(ct));
        }

        await connection.Socket.WaitForFramesAsync(before + 1, ct);
        Assert.Equal(system, connection.Received.ElementAt(before).Text);

        // Push: node b's browser gets the event.
        var notice = """{"type":"voicebridge.notice","text":"A supervisor joined."}""";
        using (var pushed = await http.PostAsync(Route($"/admin/sessions/{id}/client"), Json(notice), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
        }

        Assert.Equal(notice, (await browser.WaitForEventAsync("voicebridge.notice", ct)).Text);

        // A bad body is refused by the asking node as node b would (400), before anything is routed.
        using (var bad = await http.PostAsync(Route($"/admin/sessions/{id}/client"), Json("""{"no_type":1}"""), ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("invalid_event", await bad.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        // Interrupt: the browser is told to stop playing, node b's upstream gets response.cancel.
        await browser.SendBinaryAsync(new byte[240_000], ct);
        await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
        await browser.WaitForEventAsync("response.output_audio.delta", ct);
        using (var interrupted = await http.PostAsync(Route($"/admin/sessions/{id}/interrupt"), null, ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, interrupted.StatusCode);
        }

        await browser.WaitForEventAsync("output_audio_buffer.cleared", ct);
        var done = await browser.WaitForEventAsync("response.done", ct);
        Assert.Equal("cancelled", done.Json.GetProperty("response").GetProperty("status").GetString());
        Assert.Contains(connection.Received, f => f.Text.Contains("\"response.cancel\"", StringComparison.Ordinal));

        // End with a reason: the browser on node b gets session_ended_by_operator and 1000.
        using (var ended = await http.DeleteAsync(Route($"/admin/sessions/{id}?reason=Fraud%20suspected"), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, ended.StatusCode);
            Assert.Equal($$"""{"status":"ending","id":"{{id}}"}""", await ended.Content.ReadAsStringAsync(ct));
        }

        var messages = await browser.ReadUntilClosedAsync(ct);
        var error = messages.Last().Json.GetProperty("error");
        Assert.Equal("session_ended_by_operator", error.GetProperty("code").GetString());
        Assert.Equal("Fraud suspected", error.GetProperty("message").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.Socket.CloseStatus);

        // Gone from the fleet: 404 as on one node, and for an id no node ever had.
        await FleetNodes.WaitForAsync(async () => (await http.GetAsync(Route($"/admin/sessions/{id}"), ct)).StatusCode == HttpStatusCode.NotFound, ct);
        using var unknown = await http.GetAsync(Route("/admin/sessions/vb_nobody"), ct);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("session_not_found", await unknown.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Contains($"Admin action end on session {id} by node node-a", b.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RoutedGet_OnLoopback_TakesAFewMilliseconds()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, WithAdmin);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, WithAdmin);
        await using var browser = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.created", ct);
        var id = Assert.Single(b.Registry.Sessions).Id;
        using var viaA = FleetNodes.Admin(a);
        using var onB = FleetNodes.Admin(b);

        var routed = await MedianMsAsync(viaA, id, ct);
        var local = await MedianMsAsync(onB, id, ct);

        output.WriteLine($"GET /admin/sessions/{{id}} median of 50: local {local:0.00} ms, routed through another node {routed:0.00} ms");
        Assert.True(routed < 500, $"routed get took {routed} ms");
    }

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

        var (types, summary) = await ReadStreamAsync(sse, ct);

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
    public async Task CommandsOnNodeBsChannel_Unsigned_BadlySigned_Stale_ForAnotherNode_OrReplayed_DoNothing()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, WithAdmin);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, WithAdmin);
        await using var browser = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.created", ct);
        var id = Assert.Single(b.Registry.Sessions).Id;
        using var http = FleetNodes.Admin(a);
        await using var spy = await ConnectionMultiplexer.ConnectAsync(redis.Configuration);
        var channel = RedisChannel.Literal(FleetRegistry.KeyPrefix + "cmd:node-b");

        // A genuine push through node a, captured on the way (anyone with Redis access can read the channel).
        var captured = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tap = await spy.GetSubscriber().SubscribeAsync(channel);
        tap.OnMessage(m => captured.TrySetResult((byte[])m.Message!));
        var notice = """{"type":"voicebridge.notice","n":1}""";
        using (var pushed = await http.PostAsync(Route($"/admin/sessions/{id}/client"), Json(notice), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
        }

        Assert.Equal(notice, (await browser.WaitForEventAsync("voicebridge.notice", ct)).Text);
        var genuine = await captured.Task.WaitAsync(ct);
        await tap.UnsubscribeAsync();

        var end = new FleetCommand(FleetWire.NewId(), "node-a", "node-b", "end", id, Reason: "forged");
        var now = DateTimeOffset.UtcNow;
        byte[][] forged =
        [
            JsonSerializer.SerializeToUtf8Bytes(end, JsonSerializerOptions.Web), // unsigned
            FleetWire.Encode(end, "not-the-cluster-secret", FleetWire.CommandPurpose, now), // badly signed
            FleetWire.Encode(end, FleetNodes.Secret, FleetWire.ReplyPurpose, now), // signed for another purpose
            FleetWire.Encode(end with { Id = FleetWire.NewId() }, FleetNodes.Secret, FleetWire.CommandPurpose, now.AddSeconds(-31)), // stale
            FleetWire.Encode(end with { Id = FleetWire.NewId(), To = "node-c" }, FleetNodes.Secret, FleetWire.CommandPurpose, now), // for another node
            genuine, // replayed
        ];
        foreach (var message in forged)
        {
            Assert.Equal(1, await spy.GetSubscriber().PublishAsync(channel, message));
        }

        await b.WaitUntilAsync(() => b.Logs.Lines.Count(l => l.Contains("[114]", StringComparison.Ordinal)) == forged.Length, ct);

        // None of them ended the call or pushed again: the next thing the browser hears is a fresh push.
        var next = """{"type":"voicebridge.notice","n":2}""";
        using (var pushed = await http.PostAsync(Route($"/admin/sessions/{id}/client"), Json(next), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
        }

        Assert.Equal(next, (await browser.WaitForEventAsync("voicebridge.notice", ct)).Text);
        Assert.Equal(1, b.Registry.Count);
        var refusals = b.Logs.Lines.Where(l => l.Contains("[114]", StringComparison.Ordinal)).ToList();
        foreach (var verdict in new[] { "Unsigned", "BadSignature", "Stale", "OtherNode", "Replayed" })
        {
            Assert.Contains(refusals, l => l.Contains(": " + verdict, StringComparison.Ordinal));
        }

        foreach (var node in new[] { a, b })
        {
            Assert.DoesNotContain(FleetNodes.Secret, node.Logs.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain(FleetNodes.AdminKey, node.Logs.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain("forged", node.Logs.AllText, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(FleetNodes.Secret, Encoding.UTF8.GetString(genuine), StringComparison.Ordinal);
        Assert.DoesNotContain(FleetNodes.AdminKey, Encoding.UTF8.GetString(genuine), StringComparison.Ordinal);
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
        Assert.Equal((FleetReply.Result, 200), (started!.Kind, started.Status));
        Assert.True(session.Events.HasSubscribers);
        var since = Stopwatch.StartNew();

        await FleetNodes.WaitForAsync(() => Task.FromResult(!session.Events.HasSubscribers), ct);

        output.WriteLine($"an unrenewed watch stopped after {since.ElapsedMilliseconds} ms");
        Assert.True(since.Elapsed >= FleetAdminTimings.InterestLimit - TimeSpan.FromSeconds(1), $"stopped after {since.Elapsed}");
        await replies.UnsubscribeAsync();
    }

    [Fact]
    public async Task NodeBKilled_AnOpenStreamEnds_AndAnActionGets502NodeUnreachable()
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
            var (_, summary) = await ReadStreamAsync(sse, ct);
            output.WriteLine($"the relayed stream ended {killed.ElapsedMilliseconds} ms after the kill");
            Assert.Null(summary); // no account: the node went away, not the call's end

            using var action = await http.PostAsync(Route($"/admin/sessions/{id}/interrupt"), null, ct);
            Assert.Equal(HttpStatusCode.BadGateway, action.StatusCode);
            using var body = JsonDocument.Parse(await action.Content.ReadAsStringAsync(ct));
            Assert.Equal("node_unreachable", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    [Fact]
    public async Task RedisStopped_AdminStillServesTheNodesOwnCalls_AnotherNodesGet502_UntilRedisIsBack()
    {
        var ct = TestTimeout.Token(30);
        await using var redis = await RedisServer.StartAsync(ct);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var a = await FleetNodes.JoinAsync(upstream, redis, "node-a", ct, WithAdmin);
        await using var b = await FleetNodes.JoinAsync(upstream, redis, "node-b", ct, WithAdmin);
        await using var onA = await BrowserClient.ConnectAsync(a.VoiceUri(), ct);
        await onA.WaitForEventAsync("session.created", ct);
        await using var onB = await BrowserClient.ConnectAsync(b.VoiceUri(), ct);
        await onB.WaitForEventAsync("session.created", ct);
        var idOnA = Assert.Single(a.Registry.Sessions).Id;
        var idOnB = Assert.Single(b.Registry.Sessions).Id;
        using var http = FleetNodes.Admin(a);
        using (var routed = await http.GetAsync(Route($"/admin/sessions/{idOnB}"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
        }

        await redis.StopAsync();
        var fleet = a.Services.GetRequiredService<FleetRegistry>();
        await a.WaitUntilAsync(() => !fleet.IsConnected, ct);

        using (var own = await http.GetAsync(Route($"/admin/sessions/{idOnA}"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        }

        var notice = """{"type":"voicebridge.notice"}""";
        using (var pushed = await http.PostAsync(Route($"/admin/sessions/{idOnA}/client"), Json(notice), ct))
        {
            Assert.Equal(HttpStatusCode.Accepted, pushed.StatusCode);
        }

        Assert.Equal(notice, (await onA.WaitForEventAsync("voicebridge.notice", ct)).Text);
        foreach (var request in new Func<Task<HttpResponseMessage>>[]
        {
            () => http.GetAsync(Route($"/admin/sessions/{idOnB}"), ct),
            () => http.DeleteAsync(Route($"/admin/sessions/{idOnB}"), ct),
            () => http.GetAsync(Route($"/admin/sessions/{idOnB}/events"), HttpCompletionOption.ResponseHeadersRead, ct),
        })
        {
            using var remote = await request();
            Assert.Equal(HttpStatusCode.BadGateway, remote.StatusCode);
            Assert.Contains("node_unreachable", await remote.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        }

        Assert.Equal(1, b.Registry.Count); // the call on node b goes on

        // Redis back: node b's subscription is restored and its sessions registered again, so routing works again.
        await redis.RestartAsync(ct);
        await FleetNodes.WaitForAsync(async () =>
        {
            using var again = await http.GetAsync(Route($"/admin/sessions/{idOnB}"), ct);
            return again.StatusCode == HttpStatusCode.OK;
        }, ct);
    }

    private static async Task<double> MedianMsAsync(HttpClient http, string id, CancellationToken ct)
    {
        var times = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(Route($"/admin/sessions/{id}"), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Reads an SSE stream to its end: the data events' types and the <c>end</c> event's account (null without one).</summary>
    private static async Task<(List<string> Types, string? Summary)> ReadStreamAsync(StreamReader sse, CancellationToken ct)
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

                using var json = JsonDocument.Parse(line["data: ".Length..]);
                types.Add(json.RootElement.GetProperty("type").GetString()!);
            }
        }

        return (types, null);
    }
}
