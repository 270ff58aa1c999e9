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
}
