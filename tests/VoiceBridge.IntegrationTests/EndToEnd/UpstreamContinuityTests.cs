using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>
/// Upstream reconnect and rollover through the simulator, whole host on loopback (CONTRACT.md, "Continuity"). The long
/// calls run on a fake clock shared by the bridge and the simulator: three minutes of call take a few seconds, driven
/// turn by turn.
/// </summary>
public sealed class UpstreamContinuityTests
{
    private static readonly TimeSpan TurnGap = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ThreeMinuteCall_SimulatorCappedAt30s_EveryTurnAnswered_ReplayMatchesTheConversationSoFar()
    {
        var ct = TestTimeout.Token();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await FakeUpstream.StartAsync(o => o.MaxSessionDuration = TimeSpan.FromSeconds(30), time);
        await using var bridge = new BridgeApp(upstream.Url, timeProvider: time);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri("?bridge_events=1"), ct);

        var call = await TalkAsync(browser, time, turns: 18, reconnectAfterTurn: turn => (turn + 1) % 3 == 0, ct);

        Assert.Equal(WebSocketState.Open, browser.Socket.State);
        Assert.All(call.Done, status => Assert.Equal("completed", status));
        Assert.Equal(Enumerable.Repeat("upstream_expired", 6), call.Reconnects.Select(r => r.Reason));
        Assert.DoesNotContain(call.Events, e => e.EventType == "error");
        Assert.Single(call.Events, e => e.EventType == "session.created");

        // Connection k (k ≥ 1) was primed with the 3k turns before it: each user's text and the assistant's transcript.
        var sessions = upstream.Journal.Sessions;
        Assert.Equal(7, sessions.Count);
        for (var k = 1; k < sessions.Count; k++)
        {
            await ReplayArrivedAsync(sessions[k], 6 * k, ct);
            var replayed = sessions[k].ReceivedItems.Where(i => i.Id.StartsWith("vbr", StringComparison.Ordinal)).Select(i => (i.Role, i.Text));
            var expected = Enumerable.Range(0, 3 * k).SelectMany(turn => new (string?, string?)[] { ("user", $"turn {turn}"), ("assistant", $"You said: turn {turn}") });
            Assert.Equal(expected, replayed);
            Assert.Equal(6 * k, call.Reconnects[k - 1].Replayed);
        }

        await browser.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task ThreeMinuteCall_RolloverAfter20s_MakeBeforeBreak_NoResponseCutShort()
    {
        var ct = TestTimeout.Token();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var upstream = await FakeUpstream.StartAsync(o => o.MaxSessionDuration = TimeSpan.FromSeconds(30), time);
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Continuity:RolloverAfter"] = "00:00:20",
        }, timeProvider: time);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri("?bridge_events=1"), ct);

        var call = await TalkAsync(browser, time, turns: 18, reconnectAfterTurn: turn => (turn + 1) % 2 == 0, ct);

        Assert.Equal(WebSocketState.Open, browser.Socket.State);
        Assert.Equal(18, call.Done.Count);
        Assert.All(call.Done, status => Assert.Equal("completed", status));
        Assert.Equal(Enumerable.Repeat("rollover", 9), call.Reconnects.Select(r => r.Reason));
        Assert.Equal(10, upstream.Journal.Sessions.Count);
        await ReplayArrivedAsync(upstream.Journal.Sessions[^1], 36, ct);
        var last = upstream.Journal.Sessions[^1].ReceivedItems.Where(i => i.Id.StartsWith("vbr", StringComparison.Ordinal)).ToList();
        Assert.Equal(36, last.Count);
        Assert.Equal("You said: turn 17", last[^1].Text);
    }

    [Fact]
    public async Task UpstreamKilledMidResponse_BrowserGetsTheResponseFailed_ThenTheNextTurnWorksOnTheNewConnection()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync(o => o.DeltaInterval = TimeSpan.FromMilliseconds(100));
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri("?bridge_events=1"), ct);
        var first = await upstream.NextConnectionAsync(ct);

        await SayAsync(browser, "turn 0", ct);
        await browser.WaitForEventAsync("response.output_audio.delta", ct);
        first.DropTcp();

        var done = (await browser.WaitForEventAsync("response.done", ct)).Json.GetProperty("response");
        Assert.Equal("failed", done.GetProperty("status").GetString());
        Assert.Equal("upstream_reconnected", done.GetProperty("status_details").GetProperty("error").GetProperty("code").GetString());
        var reconnected = (await browser.WaitForEventAsync("bridge.upstream.reconnected", ct)).Json;
        Assert.Equal("upstream_dropped", reconnected.GetProperty("reason").GetString());

        await SayAsync(browser, "turn 1", ct);
        var next = (await browser.WaitForEventAsync("response.done", ct)).Json.GetProperty("response");
        Assert.Equal("completed", next.GetProperty("status").GetString());
        Assert.Contains("You said: turn 1", next.GetRawText());

        // The user's turn before the drop was replayed; the cut-off answer had no transcript yet, so it was not.
        var second = upstream.Journal.Sessions[1].ReceivedItems;
        Assert.Equal([("user", (string?)"turn 0"), ("user", "turn 1")], second.Select(i => (i.Role, i.Text)));
        Assert.Equal(2, Assert.Single(bridge.Registry.Sessions).Summary().UpstreamConnections);
    }

    [Fact]
    public async Task BuiltInSimulator_MaxSessionDurationFromConfiguration_ExpiresLikeOpenAI_TheCallCarriesOn()
    {
        var ct = TestTimeout.Token();
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Simulator",
            ["VoiceBridge:Simulator:MaxSessionDuration"] = "00:00:00.300",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri("?bridge_events=1"), ct);

        var reconnected = (await browser.WaitForEventAsync("bridge.upstream.reconnected", ct)).Json;

        Assert.Equal("upstream_expired", reconnected.GetProperty("reason").GetString());
        Assert.Equal(WebSocketState.Open, browser.Socket.State);
        Assert.Contains(bridge.Logs.Lines, l => l.Contains("[96]", StringComparison.Ordinal) && l.Contains("upstream_expired", StringComparison.Ordinal));
    }

    /// <summary>The browser hears of the new connection once it is started; its priming may still be on the wire.</summary>
    private static async Task ReplayArrivedAsync(SimulatorSessionJournal session, int items, CancellationToken ct)
    {
        while (session.ReceivedItems.Count(i => i.Id.StartsWith("vbr", StringComparison.Ordinal)) < items)
        {
            await Task.Delay(5, ct);
        }
    }

    private sealed record Reconnect(string Reason, int Replayed);

    private sealed record Call(List<string> Done, List<Reconnect> Reconnects, List<BrowserMessage> Events);

    /// <summary>
    /// Typed turns, each answered before the clock moves on <see cref="TurnGap"/>; after the turns where a replacement is
    /// due, waits for <c>bridge.upstream.reconnected</c> so that the next turn goes to the new connection.
    /// </summary>
    private static async Task<Call> TalkAsync(BrowserClient browser, FakeTimeProvider time, int turns, Func<int, bool> reconnectAfterTurn, CancellationToken ct)
    {
        var call = new Call([], [], []);
        for (var turn = 0; turn < turns; turn++)
        {
            await SayAsync(browser, $"turn {turn}", ct);
            await ReadUntilAsync(browser, call, "response.done", ct);
            time.Advance(TurnGap);
            if (reconnectAfterTurn(turn))
            {
                await ReadUntilAsync(browser, call, "bridge.upstream.reconnected", ct);
            }
        }

        return call;
    }

    private static async Task ReadUntilAsync(BrowserClient browser, Call call, string type, CancellationToken ct)
    {
        while (true)
        {
            var message = await browser.ReceiveAsync(ct) ?? throw new InvalidOperationException("The browser's socket closed.");
            if (message.Type != WebSocketMessageType.Text)
            {
                continue;
            }

            call.Events.Add(message);
            var json = message.Json;
            switch (message.EventType)
            {
                case "response.done":
                    call.Done.Add(json.GetProperty("response").GetProperty("status").GetString()!);
                    break;
                case "bridge.upstream.reconnected":
                    call.Reconnects.Add(new Reconnect(json.GetProperty("reason").GetString()!, json.GetProperty("replayed_items").GetInt32()));
                    break;
            }

            if (message.EventType == type)
            {
                return;
            }
        }
    }

    private static async Task SayAsync(BrowserClient browser, string text, CancellationToken ct)
    {
        var item = JsonSerializer.Serialize(new { type = "conversation.item.create", item = new { type = "message", role = "user", content = new[] { new { type = "input_text", text } } } });
        await browser.SendTextAsync(item, ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);
    }
}
