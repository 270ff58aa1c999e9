using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using VoiceBridge.Configuration;
using VoiceBridge.Diagnostics;
using VoiceBridge.Tools;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// One conversation with two legs: the browser's socket and the realtime service's. The session owns what outlives a
/// socket (the id, the principal, the two queues, the statistics, the interrupt state) and the decision of how the
/// call ends; each leg owns its socket and its two loops.
/// </summary>
/// <remarks>
/// <code>
///  browser ──▶ BrowserLeg pump ──gate──▶ [ToUpstream queue] ──▶ UpstreamLeg send loop ──▶ realtime service
///  browser ◀── BrowserLeg send loop ◀── [ToBrowser queue] ◀──observer── UpstreamLeg pump ◀── realtime service
/// </code>
/// Every loop returns a <see cref="LegResult"/>; the first that matters (or a decision of the bridge: limits, an
/// operator, shutdown, a slow browser) becomes the <see cref="SessionEndPlan"/> through <see cref="SessionEnding"/>
/// (first writer wins), which puts a close on both queues: "now" (overtakes queued frames) or "after drain" (the
/// final audio is delivered first). Each leg then gets a bounded close handshake, after which it is aborted.
/// </remarks>
internal sealed partial class BridgeSession : IAsyncDisposable
{
    private readonly SessionServices _services;
    private readonly ReadOnlyMemory<byte>[] _initialUpstreamFrames;
    private readonly CancellationTokenSource _sessionCts = new();
    private readonly CancellationTokenSource _connectCts;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<SessionLeg> _retiredLegs = [];
    private readonly long _startedTimestamp;
    private readonly CancellationTokenRegistration _requestAborted;
    private BrowserLeg _browserLeg;
    private UpstreamLeg? _upstreamLeg;
    private Task _connecting = Task.CompletedTask;
    private long _lastBrowserActivity;
    private SessionEndPlan? _plan;
    private SessionOutcome? _outcome;
    private int _state;
    private int _released;
    private long _bridgeEventSequence;

    public BridgeSession(SessionServices services, SessionStart start, WebSocket browser, CancellationToken requestAborted)
    {
        Id = start.Id;
        ClientAddress = start.ClientAddress;
        Subject = start.Subject;
        BinaryAudio = start.BinaryAudio;
        BridgeEventsEnabled = start.BridgeEvents;
        _services = services;
        Options = services.SocketOptions;
        TimeProvider = services.TimeProvider;
        Logger = services.Logger;
        Call = start.Call;
        var sessionUpdate = start.SessionUpdate ?? services.SessionUpdate;
        _initialUpstreamFrames = start.TokenSessionUpdate is null ? [sessionUpdate] : [sessionUpdate, start.TokenSessionUpdate];
        StartedAt = TimeProvider.GetUtcNow();
        _startedTimestamp = TimeProvider.GetTimestamp();
        _lastBrowserActivity = _startedTimestamp;
        _connectCts = CancellationTokenSource.CreateLinkedTokenSource(_sessionCts.Token);
        ToBrowser = new OutboundQueue(Options.QueueCapacity);
        ToUpstream = new OutboundQueue(Options.QueueCapacity);
        Conversation = new ConversationRecord(TimeProvider, Math.Max(ConversationRecord.DefaultCapacity, services.Continuity.ReplayItems));
        Continuity = new UpstreamContinuity(services.Continuity, services.Shape, Conversation, TimeProvider);
        Gate = new BrowserEventGate(services, Statistics, Continuity, Conversation, appliesAllowList: start.Call is null);
        Observer = new UpstreamEventObserver(Statistics, services.Metrics, Events, TimeProvider, Conversation);
        _browserLeg = start.Call is { } call ? new Telephony.TwilioLeg(this, browser, call) : new BrowserLeg(this, browser);
        Tools = services.Tools is { } tools ? new SessionTools(this, tools) : null;
        Gate.Tools = Tools;

        // Last: a request already aborted runs the callback right here, and it needs everything above.
        // A resumable session detaches instead of ending (OnBrowserVanished), and only for the leg this request owns.
        _requestAborted = requestAborted.Register(static state => { var (session, leg) = ((BridgeSession, BrowserLeg))state!; session.OnBrowserVanished(leg); }, (this, _browserLeg));
    }

    public string Id { get; }

    public string ClientAddress { get; }

    /// <summary>The end user from the token's <c>sub</c>, when tokens are in use.</summary>
    public string? Subject { get; }

    public bool BinaryAudio { get; }

    /// <summary>The phone call this session serves, or null for a browser's.</summary>
    public Telephony.TwilioCall? Call { get; }

    /// <summary><c>browser</c> or <c>twilio</c>: the label and field operators see.</summary>
    public string Channel => Call is null ? Telephony.TwilioCall.BrowserChannel : Telephony.TwilioCall.TwilioChannel;

    /// <summary>The browser asked for the bridge's own events (<c>?bridge_events=1</c>).</summary>
    public bool BridgeEventsEnabled { get; }

    public DateTimeOffset StartedAt { get; }

    public SessionStatistics Statistics { get; } = new();

    /// <summary>The session's server events (audio omitted), for watchers such as the admin API's event stream.</summary>
    public SessionEventTap Events { get; } = new();

    public TimeSpan Elapsed => TimeProvider.GetUtcNow() - StartedAt;

    public SessionState State => (SessionState)Volatile.Read(ref _state);

    public string StateName => State switch
    {
        SessionState.Connecting => "connecting",
        SessionState.Open when IsDetached => "detached",
        SessionState.Open => "open",
        _ => "closing",
    };

    public SessionOutcome? Outcome => Volatile.Read(ref _outcome);

    /// <summary>Completes when the session has fully ended and released its resources.</summary>
    public Task Completion => _completion.Task;

    internal bool HasEnded => Volatile.Read(ref _plan) is not null;

    internal OutboundQueue ToBrowser { get; }

    internal OutboundQueue ToUpstream { get; }

    internal BrowserEventGate Gate { get; }

    internal UpstreamEventObserver Observer { get; }

    /// <summary>Server tools: hides them from the browser and runs their calls (null when the host has none registered).</summary>
    internal SessionTools? Tools { get; }

    internal BridgeSocketOptions Options { get; }

    internal BridgeMetrics Metrics => _services.Metrics;

    internal TimeProvider TimeProvider { get; }

    internal ILogger Logger { get; }

    /// <summary>Runs the session to its end. Never throws for peer behaviour.</summary>
    public async Task<SessionOutcome> RunAsync()
    {
        try
        {
            _browserLeg.Start(BridgeEventsEnabled ? [SessionCreatedEvent()] : []);
            ArmResume();
            _connecting = ConnectUpstreamAsync();
            StartRollover();

            // The first loop to report decides; if every loop ended without a decision (a bug), the bridge says so. An
            // upstream replacement in flight is a loop too: a detached session whose upstream dropped has both legs done
            // until the new connection starts.
            while (!HasEnded)
            {
                var browser = Volatile.Read(ref _browserLeg);
                var upstream = UpstreamWork;
                var replacing = ContinuityWork;
                var legsDone = Task.WhenAll(browser.Completion, upstream, replacing);
                await Task.WhenAny(_ended.Task, legsDone).ConfigureAwait(false);
                if (!HasEnded && legsDone.IsCompleted && browser == Volatile.Read(ref _browserLeg) && upstream == UpstreamWork && replacing == ContinuityWork)
                {
                    End(new(EndTrigger.InternalError));
                }
            }

            // A tool call still running is pointless now: its webhook request is cancelled.
            Tools?.Stop();
            var plan = Volatile.Read(ref _plan)!;
            var browserGrace = plan.BrowserGrace switch
            {
                CloseGrace.DrainThenClose => Options.SlowClientTimeout + Options.CloseTimeout,
                CloseGrace.KeepAlive => Options.KeepAliveTimeout,
                _ => Options.CloseTimeout,
            };
            var upstreamGrace = plan.DeliverQueuedFirst ? Options.SlowClientTimeout + Options.CloseTimeout : Options.CloseTimeout;
            var browserLeg = await SealBrowserAsync().ConfigureAwait(false);
            await Task.WhenAll(
                CloseWithinAsync(browserLeg, browserGrace),
                CloseUpstreamWithinAsync(upstreamGrace),
                ResumeWorkAsync()).ConfigureAwait(false);
            return Outcome!;
        }
        finally
        {
            if (Tools is not null)
            {
                await Tools.DisposeAsync().ConfigureAwait(false);
            }

            // Queued for its own delivery loop: the webhook never delays the close.
            _services.Tools?.SessionEnded.Enqueue(this);

            Release();
            _completion.TrySetResult();
        }
    }

    /// <summary>The running (or, once ended, final) account of this session.</summary>
    public SessionSummary Summary() => SessionSummary.Of(this);

    /// <summary>
    /// Called by the process-wide sweeper: ends a session past its maximum duration (<c>session_expired</c>) or one
    /// whose browser has sent nothing for the idle timeout (<c>idle_timeout</c>), both with close 1000.
    /// </summary>
    public void EnforceLimits(long now, TimeSpan maxDuration, TimeSpan idleTimeout)
    {
        if (HasEnded)
        {
            return;
        }

        if (TimeProvider.GetElapsedTime(_startedTimestamp, now) >= maxDuration)
        {
            End(new(EndTrigger.SessionExpired));
        }
        else if (TimeProvider.GetElapsedTime(Volatile.Read(ref _lastBrowserActivity), now) >= idleTimeout)
        {
            End(new(EndTrigger.IdleTimeout));
        }
    }

    /// <summary>Graceful shutdown: the browser gets <c>server_shutting_down</c> and 1001, upstream 1000.</summary>
    public void RequestShutdown() => End(new(EndTrigger.ServerShuttingDown));

    public ValueTask DisposeAsync()
    {
        Release();
        return ValueTask.CompletedTask;
    }

    /// <summary>A leg's loop ended: the first result of a current leg that says something ends the session.</summary>
    internal void OnLegEnded(SessionLeg leg, LegResult result)
    {
        if (result.End != LegEnd.Stopped && !leg.IsRetired && !TryReplaceUpstream(leg, result))
        {
            if (leg.Side == SessionSide.Browser && result.End == LegEnd.PeerVanished)
            {
                // No close frame: the browser may come back (resume); OnBrowserVanished ends the session if it cannot.
                OnBrowserVanished(leg);
                return;
            }

            End(SessionEndCause.From(leg.Side, result));
        }
    }

    internal void BrowserActive(int bytes)
    {
        Volatile.Write(ref _lastBrowserActivity, TimeProvider.GetTimestamp());
        Statistics.FramesIn++;
        Statistics.BytesIn += bytes;
    }

    /// <summary>
    /// Queues a frame for the browser. A full queue is waited on for at most <c>SlowClientTimeout</c>; after
    /// that the browser is too slow and the session ends with <c>slow_consumer</c>. Returns false if the frame
    /// was not queued (and has been released).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<bool> EnqueueToBrowserAsync(OutboundFrame frame)
    {
        if (ToBrowser.TryEnqueue(frame))
        {
            return true;
        }

        if (ToBrowser.IsClosing)
        {
            frame.Release();
            return false;
        }

        Statistics.AddQueueFullWait();
        Metrics.QueueFullWait(FrameDirection.Outbound);
        using var timeout = new CancellationTokenSource(Options.SlowClientTimeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _sessionCts.Token);
        try
        {
            await ToBrowser.EnqueueAsync(frame, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_sessionCts.IsCancellationRequested)
        {
            frame.Release();
            Log.SlowConsumer(Logger, Options.SlowClientTimeout.TotalSeconds, ToBrowser.Count);
            End(new(EndTrigger.SlowConsumer));
            return false;
        }
        catch
        {
            frame.Release();
            return false;
        }
    }

    /// <summary>
    /// Queues one of the bridge's own events for the browser, in order with the upstream's, if it asked for them
    /// (otherwise nothing happens and the result is false). A full queue waits as any frame for the browser does.
    /// </summary>
    internal ValueTask<bool> EmitBridgeEventAsync<TState>(string type, TState state, Action<System.Text.Json.Utf8JsonWriter, TState> writeFields)
    {
        if (!BridgeEventsEnabled || HasEnded)
        {
            return ValueTask.FromResult(false);
        }

        var buffer = BridgeEvents.Rent(type, Interlocked.Increment(ref _bridgeEventSequence), state, writeFields, out var length);
        return EnqueueToBrowserAsync(OutboundFrame.Rented(FrameKind.Text, buffer, length).WithFlags(FrameFlags.None, Observer.Epoch));
    }

    internal async ValueTask SendErrorToBrowserAsync(string code, string? message)
    {
        Metrics.Error(code);
        var buffer = BridgeErrors.Rent(code, message ?? BridgeErrors.DefaultMessage(code), out var length);
        await EnqueueToBrowserAsync(OutboundFrame.Rented(FrameKind.Text, buffer, length)).ConfigureAwait(false);
    }

    /// <summary><c>bridge.session.created</c>, the first frame of a session that asked for bridge events.</summary>
    private byte[] SessionCreatedEvent()
    {
        var buffer = BridgeEvents.Rent(BridgeEvents.SessionCreated, Interlocked.Increment(ref _bridgeEventSequence), this, static (writer, session) =>
        {
            writer.WriteString("session_id"u8, session.Id);
            session.WriteResumeFields(writer);
        }, out var length);
        var frame = buffer.AsSpan(0, length).ToArray();
        ArrayPool<byte>.Shared.Return(buffer);
        return frame;
    }

    /// <summary>The upstream's current work: the connect while dialling, then the current leg.</summary>
    private Task UpstreamWork => Volatile.Read(ref _upstreamLeg)?.Completion ?? _connecting;

    private async Task CloseUpstreamWithinAsync(TimeSpan grace)
    {
        await _connecting.ConfigureAwait(false);
        await ContinuityStoppedAsync().ConfigureAwait(false);
        if (Volatile.Read(ref _upstreamLeg) is { } leg)
        {
            await CloseWithinAsync(leg, grace).ConfigureAwait(false);
        }
    }

    /// <summary>The bounded close: the leg's loops get <paramref name="grace"/> to finish their handshake, then it is aborted.</summary>
    private async Task CloseWithinAsync(SessionLeg leg, TimeSpan grace)
    {
        try
        {
            await leg.Completion.WaitAsync(grace, TimeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            leg.Abort();
            await leg.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>Records how the session ends (first writer wins) and puts each leg's close on its queue.</summary>
    private void End(SessionEndCause cause)
    {
        if (HasEnded)
        {
            return;
        }

        var plan = SessionEnding.Decide(cause);
        if (Interlocked.CompareExchange(ref _plan, plan, null) is not null)
        {
            return;
        }

        Volatile.Write(ref _outcome, plan.ToOutcome());
        Volatile.Write(ref _state, (int)SessionState.Closing);
        Events.Complete();
        CloseRequest browserClose;
        if (plan.ErrorCode is { } code)
        {
            Metrics.Error(code);
            var error = BridgeErrors.Rent(code, plan.ErrorMessage ?? BridgeErrors.DefaultMessage(code), out var length);
            browserClose = ToRequest(plan.Browser, error, length);
        }
        else
        {
            browserClose = ToRequest(plan.Browser, null, 0);
        }

        _ = plan.Browser.Now ? ToBrowser.CloseNow(browserClose) : ToBrowser.CloseAfterDrain(browserClose);
        var upstreamClose = ToRequest(plan.Upstream, null, 0);
        _ = plan.Upstream.Now ? ToUpstream.CloseNow(upstreamClose) : ToUpstream.CloseAfterDrain(upstreamClose);

        // A connect still in flight is pointless now; once connected this token is no longer used.
        if (Volatile.Read(ref _released) == 0)
        {
            try
            {
                _connectCts.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // Released meanwhile: nothing left to cancel.
            }
        }

        _ended.TrySetResult();
    }

    private static CloseRequest ToRequest(LegClose close, byte[]? finalEvent, int finalEventLength)
    {
        switch (close.Kind)
        {
            case LegCloseKind.Abort:
                ReturnIfRented(finalEvent);
                return CloseRequest.Abort;
            case LegCloseKind.AlreadySent:
                ReturnIfRented(finalEvent);
                return CloseRequest.AlreadySent;
            default:
                return new CloseRequest(close.Status, close.Description, finalEvent, finalEventLength);
        }
    }

    private static void ReturnIfRented(byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _requestAborted.Dispose();
        StopRollover();
        ToBrowser.DrainAndRelease();
        ReleaseResume();
        ToUpstream.DrainAndRelease();
        _browserLeg.Dispose();
        Volatile.Read(ref _upstreamLeg)?.Dispose();
        lock (_retiredLegs)
        {
            foreach (var leg in _retiredLegs)
            {
                leg.Dispose();
            }
        }

        _connectCts.Dispose();
        _sessionCts.Dispose();
    }
}
