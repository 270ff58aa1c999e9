using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

/// <summary>Upstream reconnect and rollover over in-memory sockets on a fake clock (CONTRACT.md, "Continuity").</summary>
public sealed class UpstreamReconnectTests
{
    private const string Expired = "Your session hit the maximum duration of 60 minutes.";

    [Fact]
    public async Task Expiry_1001AfterSessionExpired_NewConnectionPrimedWithConfigAndItems_BrowserSeesOnlyTheBridgeEvent()
    {
        await using var h = new SessionHarness(bridgeEvents: true);
        await h.StartConnectedAsync();
        Assert.Equal("bridge.session.created", Type(await h.ReceiveTextAsync(h.Browser)));
        var first = await h.NextDialAsync();

        await Conversation(h, first.Server);
        await h.SendTextAsync(h.Browser, """{"type":"session.update","session":{"type":"realtime","audio":{"output":{"voice":"marin"}},"instructions":"locked"}}""");
        Assert.Equal("session_field_locked", SessionHarness.ErrorCode(await h.ReceiveTextAsync(h.Browser)));
        var forwarded = await h.ReceiveTextAsync(first.Server);
        Assert.DoesNotContain("locked", forwarded);

        await h.SendTextAsync(first.Server, $$$"""{"type":"error","event_id":"event_1","error":{"type":"invalid_request_error","code":"session_expired","message":"{{{Expired}}}"}}""");
        await first.Server.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, Expired, h.Token);

        var second = await h.NextDialAsync();
        var primed = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            primed.Add(await h.ReceiveTextAsync(second.Server));
        }

        Assert.Contains("event_voicebridge_session", primed[0]);
        Assert.Contains("\"voice\":\"marin\"", primed[1]);
        Assert.DoesNotContain("locked", primed[1]);
        Assert.Equal("""{"type":"realtime","output_modalities":["audio"]}""", JsonDocument.Parse(primed[2]).RootElement.GetProperty("session").GetRawText());
        var items = primed.Skip(3).Select(p => JsonDocument.Parse(p).RootElement.GetProperty("item")).ToList();
        Assert.Equal([("user", "input_text", "Book a table"), ("assistant", "output_text", "For how many?")], items.Select(i =>
            (i.GetProperty("role").GetString(), i.GetProperty("content")[0].GetProperty("type").GetString(), i.GetProperty("content")[0].GetProperty("text").GetString())));

        // The new connection's answers to the priming never reach the browser; what follows does.
        await h.SendTextAsync(second.Server, """{"type":"session.created","session":{"output_modalities":["audio"]}}""");
        for (var i = 0; i < 3; i++)
        {
            await h.SendTextAsync(second.Server, """{"type":"session.updated","session":{"output_modalities":["audio"]}}""");
        }

        foreach (var item in items)
        {
            await h.SendTextAsync(second.Server, $$$"""{"type":"conversation.item.added","item":{"id":"{{{item.GetProperty("id").GetString()}}}","type":"message","role":"user","content":[]}}""");
        }

        await h.SendTextAsync(second.Server, """{"type":"rate_limits.updated","n":"after"}""");

        var reconnected = JsonDocument.Parse(await h.ReceiveTextAsync(h.Browser)).RootElement;
        Assert.Equal("bridge.upstream.reconnected", reconnected.GetProperty("type").GetString());
        Assert.Equal("upstream_expired", reconnected.GetProperty("reason").GetString());
        Assert.Equal(2, reconnected.GetProperty("replayed_items").GetInt32());
        Assert.Contains("\"after\"", await h.ReceiveTextAsync(h.Browser));

        Assert.Equal(2, h.Session.Summary().UpstreamConnections);
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_upstream_reconnects_total", ("reason", "upstream_expired"), ("outcome", "ok")));
        Assert.Null(h.Session.Outcome);
    }

    [Fact]
    public async Task DropMidResponse_BrowserGetsTheResponseFailed_ThenTheNextTurnGoesToTheNewConnection()
    {
        await using var h = new SessionHarness(bridgeEvents: true);
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);
        var first = await h.NextDialAsync();
        await h.SendTextAsync(first.Server, """{"type":"response.created","response":{"id":"resp_1","status":"in_progress"}}""");
        await h.SendTextAsync(first.Server, """{"type":"response.output_audio.delta","delta":"AAAA"}""");
        Assert.Equal("response.created", Type(await h.ReceiveTextAsync(h.Browser)));
        Assert.Equal("response.output_audio.delta", Type(await h.ReceiveTextAsync(h.Browser)));

        first.Vanish(first.Server);

        var done = JsonDocument.Parse(await h.ReceiveTextAsync(h.Browser)).RootElement;
        Assert.Equal("response.done", done.GetProperty("type").GetString());
        var response = done.GetProperty("response");
        Assert.Equal("resp_1", response.GetProperty("id").GetString());
        Assert.Equal("failed", response.GetProperty("status").GetString());
        Assert.Equal("""{"type":"failed","error":{"type":"bridge_error","code":"upstream_reconnected"}}""", response.GetProperty("status_details").GetRawText());
        var reconnected = JsonDocument.Parse(await h.ReceiveTextAsync(h.Browser)).RootElement;
        Assert.Equal("upstream_dropped", reconnected.GetProperty("reason").GetString());
        Assert.Equal(0, reconnected.GetProperty("replayed_items").GetInt32());

        var second = await h.NextDialAsync();
        Assert.Contains("event_voicebridge_session", await h.ReceiveTextAsync(second.Server));
        await h.SendTextAsync(h.Browser, """{"type":"response.create","event_id":"next_turn"}""");
        Assert.Contains("next_turn", await h.ReceiveTextAsync(second.Server));
        await h.SendTextAsync(second.Server, """{"type":"response.created","response":{"id":"resp_2"}}""");
        Assert.Contains("resp_2", await h.ReceiveTextAsync(h.Browser));
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_upstream_reconnects_total", ("reason", "upstream_dropped"), ("outcome", "ok")));
    }

    [Theory]
    [InlineData(1011)]
    [InlineData(1012)]
    [InlineData(1013)]
    public async Task ServerErrorCloses_AreReplaced_WithoutBridgeEventsTheBrowserSeesNothing(int code)
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        await first.Server.CloseOutputAsync((WebSocketCloseStatus)code, "restart", h.Token);

        var second = await h.NextDialAsync();
        await h.ReceiveTextAsync(second.Server);
        await h.SendTextAsync(second.Server, """{"type":"session.created","session":{}}""");
        await h.SendTextAsync(second.Server, """{"type":"marker"}""");

        Assert.Equal("marker", Type(await h.ReceiveTextAsync(h.Browser)));
        Assert.Equal(2, h.Session.UpstreamConnections);
    }

    [Fact]
    public async Task BrowserFramesDuringTheRedial_FollowThePrimingInOrder()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dialling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var dialer = new SessionHarness.TestDialer(64 * 1024);
        h.DialOverride = async token =>
        {
            dialling.SetResult();
            await release.Task.WaitAsync(token);
            h.DialOverride = null;
            return await dialer.ConnectAsync(token);
        };

        // Frames sent before the drop is noticed may go down with the connection (as over TCP); these come after.
        first.Vanish(first.Server);
        await dialling.Task.WaitAsync(h.Token);
        for (var i = 0; i < 5; i++)
        {
            await h.SendTextAsync(h.Browser, $$"""{"type":"conversation.item.create","n":{{i}}}""");
        }

        release.SetResult();
        var second = await dialer.NextDialAsync(h.Token);
        Assert.Contains("event_voicebridge_session", await h.ReceiveTextAsync(second.Server));
        for (var i = 0; i < 5; i++)
        {
            Assert.Contains($"\"n\":{i}", await h.ReceiveTextAsync(second.Server));
        }

        second.Dispose();
    }

    [Theory]
    [InlineData(nameof(UpstreamFailure.Unavailable), BridgeErrors.UpstreamUnavailable, 1013)]
    [InlineData(nameof(UpstreamFailure.AuthRejected), BridgeErrors.UpstreamAuthFailed, 1011)]
    [InlineData(nameof(UpstreamFailure.RateLimited), BridgeErrors.UpstreamRateLimited, 1013)]
    public async Task RedialFails_TheCallEndsWithTheRedialsError(string failureName, string code, int close)
    {
        var failure = Enum.Parse<UpstreamFailure>(failureName);
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        h.DialOverride = _ => throw new UpstreamConnectException(failure, HttpStatusCode.ServiceUnavailable, retryable: false, "refused");

        await first.Server.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, Expired, h.Token);

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal(code, SessionHarness.ErrorCode(browser.Texts[^1]));
        Assert.Equal((WebSocketCloseStatus)close, browser.Status);
        Assert.Equal(code, (await h.FinishAsync()).Reason);
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_upstream_reconnects_total", ("reason", "upstream_expired"), ("outcome", "failed")));
    }

    [Fact]
    public async Task ReconnectOff_TheExpiryErrorAnd1001ReachTheBrowser()
    {
        await using var h = new SessionHarness(continuity: c => c.ReconnectUpstream = false);
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        await h.SendTextAsync(first.Server, """{"type":"error","error":{"code":"session_expired"}}""");
        await first.Server.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, Expired, h.Token);

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal("session_expired", SessionHarness.ErrorCode(Assert.Single(browser.Texts)));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Status);
        Assert.Equal(Expired, browser.Description);
    }

    [Fact]
    public async Task AfterAReconnect_EventsNamingAnEarlierConnectionsItem_AreNotForwarded()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        await Conversation(h, first.Server);
        first.Vanish(first.Server);
        var second = await h.NextDialAsync();
        for (var i = 0; i < 4; i++)
        {
            await h.ReceiveTextAsync(second.Server);
        }

        await h.SendTextAsync(second.Server, """{"type":"conversation.item.added","item":{"id":"item_new","type":"message","role":"user","content":[]}}""");
        await h.ReceiveTextAsync(h.Browser);
        await h.SendTextAsync(h.Browser, """{"type":"conversation.item.truncate","item_id":"item_a1","content_index":0,"audio_end_ms":10}""");
        await h.SendTextAsync(h.Browser, """{"type":"conversation.item.delete","item_id":"item_u1"}""");
        await h.SendTextAsync(h.Browser, """{"type":"conversation.item.retrieve","item_id":"item_new"}""");

        Assert.Contains("item_new", await h.ReceiveTextAsync(second.Server));
    }

    [Fact]
    public async Task Rollover_AfterRolloverAfter_WaitsForTheResponseToEnd_MakeBeforeBreak()
    {
        await using var h = new SessionHarness(bridgeEvents: true, continuity: c => c.RolloverAfter = TimeSpan.FromMinutes(1));
        await h.StartConnectedAsync();
        await h.ReceiveTextAsync(h.Browser);
        var first = await h.NextDialAsync();
        await Conversation(h, first.Server);
        await h.SendTextAsync(first.Server, """{"type":"response.created","response":{"id":"resp_9"}}""");
        await h.ReceiveTextAsync(h.Browser);

        h.Time.Advance(TimeSpan.FromMinutes(2));
        var dialled = h.NextDialAsync();
        await Task.Delay(20, h.Token);
        Assert.False(dialled.IsCompleted);

        await h.SendTextAsync(first.Server, """{"type":"response.done","response":{"id":"resp_9","status":"completed"}}""");
        Assert.Equal("response.done", Type(await h.ReceiveTextAsync(h.Browser)));
        var second = await dialled;

        // The old connection is closed with 1000 once the new one has its priming; the browser hears why.
        var old = await h.ReadToCloseAsync(first.Server);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, old.Status);
        await first.Server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Contains("event_voicebridge_session", await h.ReceiveTextAsync(second.Server));
        var reconnected = JsonDocument.Parse(await h.ReceiveTextAsync(h.Browser)).RootElement;
        Assert.Equal("rollover", reconnected.GetProperty("reason").GetString());
        Assert.Equal(2, reconnected.GetProperty("replayed_items").GetInt32());
        Assert.Equal(1, h.Metrics.Parse().Value("voicebridge_upstream_reconnects_total", ("reason", "rollover"), ("outcome", "ok")));
        Assert.Null(h.Session.Outcome);
    }

    [Fact]
    public async Task Rollover_FiveMinutesBeforeExpiresAt_WhenThatComesFirst_NotWhileSpeechIsCaptured()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        var expiresAt = h.Time.GetUtcNow().AddMinutes(30).ToUnixTimeSeconds();
        await h.SendTextAsync(first.Server, $$$"""{"type":"session.created","session":{"expires_at":{{{expiresAt}}},"output_modalities":["audio"]}}""");
        await h.SendTextAsync(first.Server, """{"type":"input_audio_buffer.speech_started","item_id":"item_x"}""");
        await h.ReceiveTextAsync(h.Browser);
        await h.ReceiveTextAsync(h.Browser);

        var dialled = h.NextDialAsync();
        h.Time.Advance(TimeSpan.FromMinutes(24));
        await Task.Delay(20, h.Token);
        Assert.False(dialled.IsCompleted);
        h.Time.Advance(TimeSpan.FromMinutes(2));
        await Task.Delay(20, h.Token);
        Assert.False(dialled.IsCompleted);

        await h.SendTextAsync(first.Server, """{"type":"input_audio_buffer.speech_stopped","item_id":"item_x"}""");
        var second = await dialled;
        await h.ReadToCloseAsync(first.Server);
        await first.Server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Contains("event_voicebridge_session", await h.ReceiveTextAsync(second.Server));
    }

    [Fact]
    public async Task Rollover_AServerToolCallPending_WaitsForItsOutput()
    {
        await using var h = new SessionHarness(continuity: c => c.RolloverAfter = TimeSpan.FromMinutes(1));
        await h.StartConnectedAsync();
        var first = await h.NextDialAsync();
        h.Session.Conversation.AddToolCall("call_1", "lookup", "{}", h.Time.GetUtcNow());

        var dialled = h.NextDialAsync();
        h.Time.Advance(TimeSpan.FromMinutes(2));
        await Task.Delay(20, h.Token);
        Assert.False(dialled.IsCompleted);

        h.Session.Conversation.AddToolOutput("call_1", """{"ok":true}""", "ok", h.Time.GetUtcNow());
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var second = await dialled;
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await h.ReadToCloseAsync(first.Server);
        await first.Server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        var primed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            primed.Add(await h.ReceiveTextAsync(second.Server));
        }

        Assert.Contains("\"type\":\"function_call\"", primed[1]);
        Assert.Contains("\"call_id\":\"call_1\"", primed[1]);
        Assert.Contains("\"type\":\"function_call_output\"", primed[2]);
    }

    /// <summary>One typed turn and its answer on <paramref name="upstream"/>, read by the browser.</summary>
    private static async Task Conversation(SessionHarness h, WebSocket upstream)
    {
        await h.SendTextAsync(upstream, """{"type":"session.created","session":{"output_modalities":["audio"]}}""");
        await h.SendTextAsync(upstream, """{"type":"conversation.item.added","item":{"id":"item_u1","type":"message","role":"user","content":[{"type":"input_text","text":"Book a table"}]}}""");
        await h.SendTextAsync(upstream, """{"type":"conversation.item.added","item":{"id":"item_a1","type":"message","role":"assistant","content":[]}}""");
        await h.SendTextAsync(upstream, """{"type":"response.output_audio_transcript.done","item_id":"item_a1","transcript":"For how many?"}""");
        for (var i = 0; i < 4; i++)
        {
            await h.ReceiveTextAsync(h.Browser);
        }
    }

    private static string Type(string json) => JsonDocument.Parse(json).RootElement.GetProperty("type").GetString()!;
}
