using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

/// <summary>A whole session over in-memory sockets: every way it ends, every leg failure, the queue-full paths.</summary>
public class BridgeSessionTests
{
    private const string Append = """{"type":"input_audio_buffer.append","audio":"AAAA"}""";

    [Fact]
    public async Task Run_FramesQueuedBeforeTheDial_FollowTheServerSessionUpdateInOrder()
    {
        await using var h = new SessionHarness();
        h.Start();
        await h.DialledAsync();
        var first = await h.ReceiveTextAsync(h.Upstream);
        Assert.Contains("\"session.update\"", first);
        for (var i = 0; i < 5; i++)
        {
            await h.SendTextAsync(h.Browser, $$"""{"type":"conversation.item.create","event_id":"e{{i}}"}""");
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Contains($"\"e{i}\"", await h.ReceiveTextAsync(h.Upstream));
        }

    }

    [Fact]
    public async Task BrowserCloses_UpstreamGets1000AfterWhatTheBrowserSent_BrowserGetsItsOwnCodeBack()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        await h.SendTextAsync(h.Browser, """{"type":"response.create","event_id":"last"}""");
        await h.Browser.CloseOutputAsync((WebSocketCloseStatus)4001, "bye", h.Token);

        var upstream = await h.ReadToCloseAsync(h.Upstream);
        Assert.Contains(upstream.Texts, t => t.Contains("\"last\""));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, upstream.Status);
        Assert.Equal(SessionEnding.ClientClosed, upstream.Description);
        await h.Upstream.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal((WebSocketCloseStatus)4001, browser.Status);
        Assert.Equal("bye", browser.Description);
        var outcome = await h.FinishAsync();
        Assert.Equal(SessionOutcome.BrowserClosed, outcome.Reason);
        Assert.Equal(SessionSide.Browser, outcome.EndedBy);
    }

    [Fact]
    public async Task BrowserVanishes_UpstreamClosedWithClientDisconnected()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        h.BrowserPair.Vanish(h.BrowserPair.Client);

        var upstream = await h.ReadToCloseAsync(h.Upstream);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, upstream.Status);
        Assert.Equal(SessionEnding.ClientDisconnected, upstream.Description);
        await h.Upstream.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Equal(SessionOutcome.BrowserDisconnected, (await h.FinishAsync()).Reason);
    }

    [Fact]
    public async Task UpstreamCloses_BrowserGetsQueuedEventsThenTheSameCode()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        await h.SendTextAsync(h.Upstream, """{"type":"response.output_audio.delta","delta":"AAAA"}""");
        await h.Upstream.CloseOutputAsync((WebSocketCloseStatus)4002, "upstream says bye", h.Token);

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Single(browser.Texts);
        Assert.Equal((WebSocketCloseStatus)4002, browser.Status);
        Assert.Equal("upstream says bye", browser.Description);
        await h.Browser.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        var outcome = await h.FinishAsync();
        Assert.Equal(SessionOutcome.UpstreamClosed, outcome.Reason);
        Assert.Equal((WebSocketCloseStatus)4002, outcome.BrowserCloseStatus);
    }

    [Fact]
    public async Task UpstreamVanishes_BrowserGetsUpstreamDisconnectedAnd1011()
    {
        await using var h = new SessionHarness(continuity: c => c.ReconnectUpstream = false);
        await h.StartConnectedAsync();
        await h.SendTextAsync(h.Upstream, """{"type":"response.created"}""");
        h.UpstreamPair.Vanish(h.UpstreamPair.Server);

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal(2, browser.Texts.Count);
        Assert.Equal(BridgeErrors.UpstreamDisconnected, SessionHarness.ErrorCode(browser.Texts[1]));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, browser.Status);
        await h.Browser.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Equal(BridgeErrors.UpstreamDisconnected, (await h.FinishAsync()).Reason);
    }

    [Theory]
    [InlineData(nameof(UpstreamFailure.AuthRejected), BridgeErrors.UpstreamAuthFailed, 1011)]
    [InlineData(nameof(UpstreamFailure.RateLimited), BridgeErrors.UpstreamRateLimited, 1013)]
    [InlineData(nameof(UpstreamFailure.Unavailable), BridgeErrors.UpstreamUnavailable, 1013)]
    public async Task UpstreamDialFails_BrowserGetsTheContractError(string failureName, string code, int closeCode)
    {
        var failure = Enum.Parse<UpstreamFailure>(failureName);
        await using var h = new SessionHarness();
        h.DialOverride = _ => Task.FromException<WebSocket>(new UpstreamConnectException(failure, null, retryable: false, "refused"));
        h.Start();

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal(code, SessionHarness.ErrorCode(Assert.Single(browser.Texts)));
        Assert.Equal((WebSocketCloseStatus)closeCode, browser.Status);
        await h.Browser.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Equal(code, (await h.FinishAsync()).Reason);
    }

    [Fact]
    public async Task BrowserMessageTooBig_1009_AndTheRestOfTheMessageIsReadNotReset()
    {
        await using var h = new SessionHarness(o => o.MaxMessageBytes = 1024);
        await h.StartConnectedAsync();
        var big = new byte[4096];
        await h.Browser.SendAsync(big, WebSocketMessageType.Binary, endOfMessage: false, h.Token);
        var browser = h.ReadToCloseAsync(h.Browser);

        // The browser goes on sending after the cap: the bridge keeps reading (and discarding) until its close.
        await h.Browser.SendAsync(big, WebSocketMessageType.Binary, endOfMessage: true, h.Token);
        var closed = await browser;
        Assert.Equal(BridgeErrors.MessageTooBig, SessionHarness.ErrorCode(Assert.Single(closed.Texts)));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, closed.Status);
        await h.Browser.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Equal(BridgeErrors.MessageTooBig, (await h.FinishAsync()).Reason);
    }

    [Fact]
    public async Task Limits_IdleBrowser_EndsWithIdleTimeout_ExpiredSession_WithSessionExpired()
    {
        await using var idle = new SessionHarness();
        await idle.StartConnectedAsync();
        idle.Time.Advance(TimeSpan.FromMinutes(1));
        idle.Session.EnforceLimits(idle.Time.GetTimestamp(), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(2));
        Assert.Null(idle.Session.Outcome);
        idle.Time.Advance(TimeSpan.FromMinutes(1));
        idle.Session.EnforceLimits(idle.Time.GetTimestamp(), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(2));
        var closed = await idle.ReadToCloseAsync(idle.Browser);
        Assert.Equal(BridgeErrors.IdleTimeout, SessionHarness.ErrorCode(Assert.Single(closed.Texts)));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, closed.Status);

        await using var old = new SessionHarness();
        await old.StartConnectedAsync();
        old.Time.Advance(TimeSpan.FromMinutes(30));
        old.Session.EnforceLimits(old.Time.GetTimestamp(), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1));
        closed = await old.ReadToCloseAsync(old.Browser);
        Assert.Equal(BridgeErrors.SessionExpired, SessionHarness.ErrorCode(Assert.Single(closed.Texts)));
    }

    [Fact]
    public async Task Operator_EndsWithItsReason_UpstreamGets1000()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        h.Session.EndByOperator("fraud check");

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Contains("fraud check", Assert.Single(browser.Texts));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.Status);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await h.ReadToCloseAsync(h.Upstream)).Status);
    }

    [Fact]
    public async Task Shutdown_BrowserGets1001()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        h.Session.RequestShutdown();
        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal(BridgeErrors.ServerShuttingDown, SessionHarness.ErrorCode(Assert.Single(browser.Texts)));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Status);
    }

    // ---- Defect 1: the request-aborted callback ran before the queues existed. ----

    [Fact]
    public async Task Construct_RequestAlreadyAborted_EndsAsBrowserDisconnected_NotANullReference()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        await using var h = new SessionHarness(requestAborted: aborted.Token);
        h.Start();
        var outcome = await h.FinishAsync();
        Assert.Equal(SessionOutcome.BrowserDisconnected, outcome.Reason);
    }

    // ---- Defect 2: a bridge bug was reported as the upstream's disconnect. ----

    [Fact]
    public async Task UnexpectedFault_ReportedAsInternalError1011_LoggedOnceWithTheException()
    {
        await using var h = new SessionHarness();
        var pair = WebSocketPair.Create();
        h.DialOverride = _ => Task.FromResult<WebSocket>(new ThrowingWebSocket(pair.Client));
        h.Start();

        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal(BridgeErrors.InternalError, SessionHarness.ErrorCode(Assert.Single(browser.Texts)));
        Assert.Equal(WebSocketCloseStatus.InternalServerError, browser.Status);
        await h.Browser.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        Assert.Equal(SessionOutcome.InternalError, (await h.FinishAsync()).Reason);
        var logged = Assert.Single(h.Logs, e => e.Exception is InvalidOperationException);
        Assert.Equal(LogLevel.Error, logged.Level);
        pair.Dispose();
    }

    // ---- Defect 4: QueueFullWaits lost increments under concurrency. ----

    [Fact]
    public async Task Statistics_QueueFullWaitsFromManyThreads_NoneLost()
    {
        var statistics = new SessionStatistics();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 250_000; i++)
            {
                statistics.AddQueueFullWait();
            }
        })));
        Assert.Equal(1_000_000, statistics.QueueFullWaits);
    }

    // ---- Defect 5: an admin push into a full browser queue ended the call as slow_consumer. ----

    [Fact]
    public async Task AdminPush_BrowserQueueFull_FailsAfterTheTimeout_CallGoesOn()
    {
        await using var h = new SessionHarness(o =>
        {
            o.QueueCapacity = 2;
            o.SlowClientTimeout = TimeSpan.FromMinutes(10);
        }, browserBufferBytes: 1024);
        await h.StartConnectedAsync();

        // The browser does not read: its socket's buffer, then its queue, fill up.
        // A push that is still waiting after the send loop had time to take from the queue has found it full for good.
        var notice = Encoding.UTF8.GetBytes($$"""{"type":"notice","padding":"{{new string('.', 500)}}"}""");
        var push = h.Session.PushToBrowserAsync(notice, h.Token).AsTask();
        while (await Task.WhenAny(push, Task.Delay(100, h.Token)) == push)
        {
            Assert.Equal(AdminDelivery.Queued, await push);
            push = h.Session.PushToBrowserAsync(notice, h.Token).AsTask();
        }

        h.Time.Advance(BridgeSession.AdminDeliveryTimeout);
        Assert.Equal(AdminDelivery.QueueFull, await push);
        Assert.Null(h.Session.Outcome);

        // The browser reads again: the call is alive.
        await h.ReceiveAsync(h.Browser);
        Assert.Null(h.Session.Outcome);
    }

    // ---- Defect 6: a stalled browser that read again saw 1006, not why it was closed. ----

    [Fact]
    public async Task SlowConsumer_UpstreamClosedAtOnce_BrowserThatReadsAgainWithinKeepAliveGetsTheErrorAnd1008()
    {
        await using var h = new SessionHarness(o =>
        {
            o.QueueCapacity = 4;
            o.SlowClientTimeout = TimeSpan.FromSeconds(1);
            o.CloseTimeout = TimeSpan.FromSeconds(2);
            o.KeepAliveTimeout = TimeSpan.FromSeconds(20);
        }, browserBufferBytes: 2048);
        await h.StartConnectedAsync();

        // The upstream floods while the browser reads nothing.
        var flood = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 200; i++)
                {
                    await h.SendTextAsync(h.Upstream, $$"""{"type":"response.output_text.delta","delta":"{{new string('x', 200)}}","n":{{i}}}""");
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The bridge closed the upstream.
            }
        });
        await h.WaitUntilAsync(() => h.Session.Statistics.QueueFullWaits > 0);

        // The pump counts the wait just before it starts its timer: move the clock in small steps until it fires.
        while (h.Session.Outcome is null)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1, h.Token);
        }

        Assert.Equal(BridgeErrors.SlowConsumer, h.Session.Outcome!.Reason);

        // The upstream is closed at once: no more spend.
        var upstream = await h.ReadToCloseAsync(h.Upstream);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, upstream.Status);
        await flood;

        // Five seconds later (past CloseTimeout) the browser reads again and learns why.
        h.Time.Advance(TimeSpan.FromSeconds(5));
        var browser = await h.ReadToCloseAsync(h.Browser);
        Assert.Equal(BridgeErrors.SlowConsumer, SessionHarness.ErrorCode(browser.Texts[^1]));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, browser.Status);
    }

    // ---- Legs outlive sockets: swap the upstream, detach and re-attach the browser. ----

    [Fact]
    public async Task ReplaceUpstream_BrowserFramesBeforeDuringAndAfter_ArriveOnceInOrder()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        var oldUpstream = h.Upstream;
        for (var i = 0; i < 10; i++)
        {
            await h.SendTextAsync(h.Browser, $$"""{"type":"conversation.item.create","n":{{i}}}""");
        }

        var seenByOld = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            seenByOld.Add(await h.ReceiveTextAsync(oldUpstream));
        }

        // Frames keep coming while the upstream is replaced.
        var next = WebSocketPair.Create();
        var sending = Task.Run(async () =>
        {
            for (var i = 10; i < 60; i++)
            {
                await h.SendTextAsync(h.Browser, $$"""{"type":"conversation.item.create","n":{{i}}}""");
            }
        });
        var replaced = h.Session.ReplaceUpstreamAsync(next.Client);

        // The old connection gets what it had taken, then its close; the new one the session.update, then the rest.
        var old = h.ReadToCloseAsync(oldUpstream);
        Assert.Contains("\"session.update\"", await h.ReceiveTextAsync(next.Server));
        var closedOld = await old;
        seenByOld.AddRange(closedOld.Texts);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, closedOld.Status);
        await oldUpstream.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, h.Token);
        await replaced.WaitAsync(h.Token);
        await sending;

        var seenByNew = new List<string>();
        while (seenByOld.Count + seenByNew.Count < 60)
        {
            seenByNew.Add(await h.ReceiveTextAsync(next.Server));
        }

        var order = seenByOld.Concat(seenByNew).Select(t => int.Parse(t[(t.LastIndexOf(':') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Enumerable.Range(0, 60), order);

        // The call goes on over the new connection, both ways.
        await h.SendTextAsync(next.Server, """{"type":"response.done","n":1}""");
        Assert.Contains("response.done", await h.ReceiveTextAsync(h.Browser));
        Assert.Null(h.Session.Outcome);
        next.Dispose();
    }

    [Fact]
    public async Task DetachedBrowser_EventsWaitInOrder_ANewSocketGetsThemAll()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        await h.SendTextAsync(h.Upstream, """{"type":"e","n":0}""");
        Assert.Contains("\"n\":0", await h.ReceiveTextAsync(h.Browser));

        await h.Session.DetachBrowserAsync();
        for (var i = 1; i <= 20; i++)
        {
            await h.SendTextAsync(h.Upstream, $$"""{"type":"e","n":{{i}}}""");
        }

        await h.WaitUntilAsync(() => h.Session.Statistics.UpstreamFramesIn == 21);
        Assert.Null(h.Session.Outcome);
        var resumed = WebSocketPair.Create();
        h.Session.AttachBrowser(resumed.Server);
        for (var i = 1; i <= 20; i++)
        {
            Assert.Contains($"\"n\":{i}}}", await h.ReceiveTextAsync(resumed.Client));
        }

        // And the new browser socket speaks for the call.
        await h.SendTextAsync(resumed.Client, """{"type":"response.create","n":99}""");
        Assert.Contains("\"n\":99", await h.ReceiveTextAsync(h.Upstream));
        resumed.Dispose();
    }

    // ---- Defect 3: a frame waiting for room when its browser leg is taken away goes back to the pool. ----

    [Fact]
    public async Task DetachBrowser_WhileItsFrameWaitsForRoomUpstream_TheFrameIsReleasedNotSent()
    {
        // 300 KB messages: the reader's buffer grows into the pool's 512 KB bucket, which no other test rents from (the
        // 128 KB one is shared with the codec's tests, which run in parallel and made this count 2 now and then).
        using var pool = new ArrayPoolProbe(size: 300_000);
        await using var h = new SessionHarness(o => o.QueueCapacity = 1, browserBufferBytes: 1 << 20);
        h.DialOverride = async token =>
        {
            await Task.Delay(Timeout.Infinite, token);
            throw new OperationCanceledException(token);
        };
        h.Start();

        // No upstream yet: the first frame fills the queue, the second waits for room inside the browser pump.
        var big = new string('a', 300_000);
        await h.SendTextAsync(h.Browser, $$"""{"type":"conversation.item.create","pad":"{{big}}","n":1}""");
        await h.SendTextAsync(h.Browser, $$"""{"type":"conversation.item.create","pad":"{{big}}","n":2}""");
        await h.WaitUntilAsync(() => h.Session.Statistics.FramesIn == 2);
        await h.WaitUntilAsync(() => pool.Outstanding == 2);

        await h.Session.DetachBrowserAsync();
        Assert.Equal(1, pool.Outstanding);
    }

    /// <summary>An upstream socket whose reads fail in a way no socket does: a stand-in for a bug in the bridge.</summary>
    private sealed class ThrowingWebSocket(WebSocket inner) : WebSocket
    {
        public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

        public override string? CloseStatusDescription => inner.CloseStatusDescription;

        public override WebSocketState State => inner.State;

        public override string? SubProtocol => inner.SubProtocol;

        public override void Abort() => inner.Abort();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override void Dispose() => inner.Dispose();

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a bug");

        public override ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("a bug");

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);

        public override ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
    }
}
