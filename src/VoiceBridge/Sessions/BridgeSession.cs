using System.Buffers;
using System.Buffers.Text;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using VoiceBridge.Configuration;
using VoiceBridge.Diagnostics;
using VoiceBridge.Limits;
using VoiceBridge.Realtime;
using VoiceBridge.Security;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// One browser socket paired with one upstream socket. Owns both sockets, both queues and the session token.
/// </summary>
/// <remarks>
/// <code>
///  browser ──▶ ReceiveFromBrowser ──▶ [toUpstream queue] ──▶ SendLoop(upstream) ──▶ realtime service
///  browser ◀── SendLoop(browser) ◀── [toBrowser queue]  ◀── ReceiveFromUpstream ◀── realtime service
/// </code>
/// Each socket has exactly one receive loop and one send loop; a receive loop only ever writes into the
/// other socket's queue. The first loop to finish records the <see cref="SessionOutcome"/> (first writer wins)
/// and puts a close request on both queues: "now" (overtakes queued frames) or "after drain" (the final audio
/// is delivered first). The loops then get a bounded close handshake, after which the session token aborts
/// whatever is left. Every loop turns socket failures into an outcome instead of throwing.
/// </remarks>
internal sealed class BridgeSession : IAsyncDisposable
{
    /// <summary>Upstream events can legitimately be large (a retrieved item with its audio); the cap only stops runaway frames.</summary>
    public const int UpstreamMaxMessageBytes = 16 * 1024 * 1024;

    /// <summary>
    /// A browser's events are small (a 20 ms append is ~1.3 KB, 960 B as binary PCM): their first buffer is 2 KB, not
    /// 8 KB. Every message in flight holds one, and the shared pool keeps what bursts return, so at 100 active
    /// sessions 8 KB buffers were ~16 KB of each session's heap in the census.
    /// </summary>
    private const int BrowserInitialBufferBytes = 2 * 1024;

    private readonly WebSocket _browser;
    private readonly SessionServices _services;
    private readonly AudioRateBucket _audioBucket;
    private readonly BridgeMetrics _metrics;

    /// <summary>When the caller's turn ended (committed upstream, or a browser response.create); 0 when no turn awaits its first audio.</summary>
    private long _turnEndTimestamp;

    /// <summary>How many operator interrupts so far; stamped on every frame queued for the browser.</summary>
    private int _interruptEpoch;

    /// <summary>While non-zero (the epoch of the last interrupt), audio deltas to the browser are skipped: they belong to the interrupted response.</summary>
    private int _suppressAudioFrom;
    private readonly UpstreamConnector _connector;
    private readonly BridgeSocketOptions _options;
    private readonly byte[][] _initialUpstreamFrames;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _sessionCts;
    private readonly CancellationTokenSource _connectCts;
    private readonly OutboundQueue _toBrowser;
    private readonly OutboundQueue _toUpstream;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _requestAborted;
    private readonly long _startedTimestamp;
    private long _lastBrowserActivity;
    private WebSocket? _upstream;
    private SessionOutcome? _outcome;
    private int _state;

    public BridgeSession(SessionServices services, SessionStart start, WebSocket browser, CancellationToken requestAborted)
    {
        Id = start.Id;
        ClientAddress = start.ClientAddress;
        Subject = start.Subject;
        BinaryAudio = start.BinaryAudio;
        _browser = browser;
        _services = services;
        _audioBucket = new AudioRateBucket(services.Limits, services.TimeProvider);
        _metrics = services.Metrics;
        _connector = services.Connector;
        _options = services.SocketOptions;
        _initialUpstreamFrames = start.TokenSessionUpdate is null ? [services.SessionUpdate] : [services.SessionUpdate, start.TokenSessionUpdate];
        _timeProvider = services.TimeProvider;
        _logger = services.Logger;
        StartedAt = _timeProvider.GetUtcNow();
        _startedTimestamp = _timeProvider.GetTimestamp();
        _lastBrowserActivity = _startedTimestamp;

        // The session token aborts socket I/O only at the very end; a browser whose connection drops is an
        // outcome like any other, so that the upstream still gets a clean close.
        _sessionCts = new CancellationTokenSource();
        _connectCts = CancellationTokenSource.CreateLinkedTokenSource(_sessionCts.Token);
        _requestAborted = requestAborted.Register(static state => ((BridgeSession)state!).EndBrowserGone(), this);
        _toBrowser = new OutboundQueue(_options.QueueCapacity);
        _toUpstream = new OutboundQueue(_options.QueueCapacity);
    }

    public string Id { get; }

    public string ClientAddress { get; }

    /// <summary>The end user from the token's <c>sub</c>, when tokens are in use.</summary>
    public string? Subject { get; }

    public bool BinaryAudio { get; }

    public DateTimeOffset StartedAt { get; }

    public SessionStatistics Statistics { get; } = new();

    public TimeSpan Elapsed => _timeProvider.GetUtcNow() - StartedAt;

    public SessionState State => (SessionState)Volatile.Read(ref _state);

    public SessionOutcome? Outcome => Volatile.Read(ref _outcome);

    /// <summary>Completes when the session has fully ended and released its resources.</summary>
    public Task Completion => _completion.Task;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Runs the session to its end. Never throws for peer behaviour.</summary>
    public async Task<SessionOutcome> RunAsync()
    {
        try
        {
            var browserSend = SendLoopAsync(_browser, _toBrowser, SessionSide.Browser, initialFrames: []);
            var browserReceive = ReceiveFromBrowserAsync();
            var upstream = RunUpstreamAsync();
            var all = Task.WhenAll(browserSend, browserReceive, upstream);

            await Task.WhenAny(_ended.Task, all).ConfigureAwait(false);
            var outcome = Outcome ?? EndWithError(SessionSide.Bridge, SessionOutcome.InternalError, BridgeErrors.UpstreamDisconnected);

            // The first finisher has decided; both sides now get a bounded close handshake.
            var budget = outcome.DeliverQueuedFirst ? _options.SlowClientTimeout + _options.CloseTimeout : _options.CloseTimeout;
            try
            {
                await all.WaitAsync(budget, _timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await _sessionCts.CancelAsync().ConfigureAwait(false);
                _browser.Abort();
                _upstream?.Abort();
                await all.ConfigureAwait(false);
            }

            return outcome;
        }
        finally
        {
            Release();
            _completion.TrySetResult();
        }
    }

    /// <summary>The session's server events (audio omitted), for watchers such as the admin API's event stream.</summary>
    public SessionEventTap Events { get; } = new();

    public string StateName => State switch
    {
        SessionState.Connecting => "connecting",
        SessionState.Open => "open",
        _ => "closing",
    };

    /// <summary>The running (or, once ended, final) account of this session.</summary>
    public SessionSummary Summary()
    {
        var stats = Statistics;
        var (turns, p50, max) = stats.FirstAudio();
        var outcome = Outcome;
        return new SessionSummary(
            Id,
            ClientAddress,
            Subject,
            StartedAt,
            StateName,
            stats.FramesIn,
            stats.FramesOut,
            stats.BytesIn,
            stats.BytesOut,
            Math.Round(Elapsed.TotalSeconds, 3),
            Math.Round(stats.AudioBytesIn / SessionStatistics.AudioBytesPerSecond, 3),
            Math.Round(stats.AudioBytesOut / SessionStatistics.AudioBytesPerSecond, 3),
            stats.Responses,
            new SessionTokens(stats.InputTokens, stats.OutputTokens, stats.InputAudioTokens, stats.OutputAudioTokens, stats.CachedTokens),
            new SessionFirstAudio(turns, p50, max),
            outcome?.EndedBy.ToString(),
            outcome?.Reason,
            outcome?.BrowserCloseStatus is { } status ? (int)status : null);
    }

    /// <summary>
    /// An operator's event into the call (e.g. a system message): trusted, unlike a browser's, but it must be a JSON
    /// object with a string type. It joins the call's own upstream queue and keeps its order. False once the session ends.
    /// </summary>
    public async ValueTask<bool> InjectUpstreamAsync(ReadOnlyMemory<byte> clientEvent, CancellationToken cancellationToken)
    {
        if (Outcome is not null)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(clientEvent.Length);
        clientEvent.Span.CopyTo(buffer);
        var frame = OutboundFrame.Rented(FrameKind.Text, buffer, clientEvent.Length);
        try
        {
            await _toUpstream.EnqueueAsync(frame, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            frame.Release();
            return false;
        }
    }

    /// <summary>An operator's event to the browser (e.g. a UI notice), through the browser's own queue. False once the session ends.</summary>
    public async ValueTask<bool> PushToBrowserAsync(ReadOnlyMemory<byte> serverEvent)
    {
        if (Outcome is not null)
        {
            return false;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(serverEvent.Length);
        serverEvent.Span.CopyTo(buffer);
        return await EnqueueToBrowserAsync(OutboundFrame.Rented(FrameKind.Text, buffer, serverEvent.Length).WithFlags(FrameFlags.None, Volatile.Read(ref _interruptEpoch))).ConfigureAwait(false);
    }

    /// <summary>
    /// Stop the assistant now: <c>response.cancel</c> upstream, and to the browser <c>output_audio_buffer.cleared</c>.
    /// Audio of the interrupted response still queued for the browser, or still arriving, is not delivered.
    /// </summary>
    public async ValueTask<bool> InterruptAsync(CancellationToken cancellationToken)
    {
        var epoch = Interlocked.Increment(ref _interruptEpoch);
        Volatile.Write(ref _suppressAudioFrom, epoch);
        // The browser hears "stop playing" before anything the cancel provokes upstream (the cancelled response.done).
        var cleared = await PushToBrowserAsync(Encoding.UTF8.GetBytes(
            $$"""{"type":"output_audio_buffer.cleared","event_id":"event_voicebridge_interrupt_{{epoch}}"}""")).ConfigureAwait(false);
        var cancelled = await InjectUpstreamAsync("""{"type":"response.cancel","event_id":"event_voicebridge_interrupt"}"""u8.ToArray(), cancellationToken).ConfigureAwait(false);
        return cancelled && cleared;
    }

    /// <summary>An operator ends the call: the browser gets <c>session_ended_by_operator</c> (with the reason) and 1000.</summary>
    public void EndByOperator(string reason) =>
        EndWithError(SessionSide.Bridge, BridgeErrors.SessionEndedByOperator, BridgeErrors.SessionEndedByOperator, reason);

    /// <summary>
    /// Called by the process-wide sweeper: ends a session past its maximum duration (<c>session_expired</c>) or one
    /// whose browser has sent nothing for the idle timeout (<c>idle_timeout</c>), both with close 1000.
    /// </summary>
    public void EnforceLimits(long now, TimeSpan maxDuration, TimeSpan idleTimeout)
    {
        if (Outcome is not null)
        {
            return;
        }

        if (_timeProvider.GetElapsedTime(_startedTimestamp, now) >= maxDuration)
        {
            EndWithError(SessionSide.Bridge, BridgeErrors.SessionExpired, BridgeErrors.SessionExpired);
        }
        else if (_timeProvider.GetElapsedTime(Volatile.Read(ref _lastBrowserActivity), now) >= idleTimeout)
        {
            EndWithError(SessionSide.Bridge, BridgeErrors.IdleTimeout, BridgeErrors.IdleTimeout);
        }
    }

    /// <summary>Graceful shutdown: the browser gets <c>server_shutting_down</c> and 1001, upstream 1000.</summary>
    public void RequestShutdown() => EndWithError(SessionSide.Bridge, BridgeErrors.ServerShuttingDown, BridgeErrors.ServerShuttingDown);

    public ValueTask DisposeAsync()
    {
        Release();
        return ValueTask.CompletedTask;
    }

    private async Task ReceiveFromBrowserAsync()
    {
        var token = _sessionCts.Token;
        try
        {
            while (true)
            {
                var first = await MessageReader.WaitAsync(_browser, token).ConfigureAwait(false);
                var message = await MessageReader.ReadAsync(_browser, first, _options.MaxMessageBytes, BrowserInitialBufferBytes, token).ConfigureAwait(false);
                switch (message.Kind)
                {
                    case InboundKind.Close:
                        EndByBrowserClose(message.CloseStatus, message.CloseDescription);
                        return;

                    case InboundKind.TooBig:
                        Log.MessageTooBig(_logger, _options.MaxMessageBytes);
                        EndWithError(SessionSide.Bridge, BridgeErrors.MessageTooBig, BridgeErrors.MessageTooBig);

                        // Keep reading (and discarding) until the browser answers the close.
                        continue;
                }

                if (Outcome is not null)
                {
                    // Ending: nothing more goes upstream; keep reading to see the browser's close.
                    message.Release();
                    continue;
                }

                Volatile.Write(ref _lastBrowserActivity, _timeProvider.GetTimestamp());
                Statistics.FramesIn++;
                Statistics.BytesIn += message.Length;
                await ForwardFromBrowserAsync(message, _metrics.StartForwardSample(), token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsSocketEnd(e))
        {
            Log.SocketEnded(_logger, "browser", e.GetBaseException().Message);
            EndBrowserGone();
        }
        catch (Exception e)
        {
            Log.LoopFailed(_logger, "browser receive", e);
            EndWithError(SessionSide.Bridge, SessionOutcome.InternalError, BridgeErrors.UpstreamDisconnected);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardFromBrowserAsync(InboundMessage message, long sampleStart, CancellationToken token)
    {
        var receivedKind = message.Kind == InboundKind.Text ? FrameKind.Text : FrameKind.Binary;
        var receivedBytes = message.Length;
        var (forward, error, errorMessage) = message.Kind == InboundKind.Text ? CheckClientEvent(message) : CheckAudioFrame(message);
        if (forward is { } checkedFrame)
        {
            var frame = checkedFrame.WithSample(sampleStart);
            try
            {
                if (!_toUpstream.TryEnqueue(frame))
                {
                    // A full upstream queue waits here, which stops reading the browser: backpressure onto its TCP.
                    _metrics.QueueFullWait(FrameDirection.Inbound);
                    await _toUpstream.EnqueueAsync(frame, token).ConfigureAwait(false);
                }

                _metrics.FrameForwarded(FrameDirection.Inbound, receivedKind, receivedBytes);
            }
            catch (ChannelClosedException)
            {
                frame.Release();
            }
        }

        if (error is not null)
        {
            await SendErrorToBrowserAsync(error, errorMessage).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The browser's text event against the server's rules: a JSON object with a string type (one pass), an allowed
    /// type, no system items, audio within the rate, and session or response fields only where the browser may set
    /// them. Returns what to forward (if anything) and the error to tell the browser (if any); owns <paramref name="message"/>.
    /// </summary>
    private (OutboundFrame? Forward, string? Error, string? ErrorMessage) CheckClientEvent(InboundMessage message)
    {
        var span = message.Span;
        var inspection = ClientEventInspector.Inspect(span);
        if (!inspection.IsValid)
        {
            message.Release();
            return (null, BridgeErrors.InvalidEvent, null);
        }

        if (!_services.AllowedEvents.AllowsAny && !_services.AllowedEvents.Contains(span, inspection))
        {
            message.Release();
            return (null, BridgeErrors.UnknownEvent, null);
        }

        switch (inspection.Kind)
        {
            case ClientEventKind.InputAudioBufferAppend when !TryConsumeAudio(inspection.AudioByteCount, out var report):
                message.Release();
                return (null, report ? BridgeErrors.AudioRateExceeded : null, null);

            case ClientEventKind.ConversationItemCreate when inspection.HasSystemRole && !_services.AllowSystemItems:
                message.Release();
                return (null, BridgeErrors.SystemItemLocked, null);

            case ClientEventKind.SessionUpdate:
                return ApplyFieldPolicy(message, _services.SessionPolicy, prefix: string.Empty);

            case ClientEventKind.Other when inspection.TypeEquals(span, RealtimeEventTypes.ResponseCreate):
                MarkTurnEnd();
                if (!_services.AllowSystemItems && ResponseGuard.HasSystemInput(span))
                {
                    message.Release();
                    return (null, BridgeErrors.SystemItemLocked, null);
                }

                return ApplyFieldPolicy(message, _services.ResponsePolicy, prefix: "response.");
        }

        return (OutboundFrame.Rented(FrameKind.Text, message.Buffer!, message.Length), null, null);
    }

    /// <summary>A binary frame is PCM16: non-empty, even, and within the audio rate. It becomes an append event.</summary>
    private (OutboundFrame? Forward, string? Error, string? ErrorMessage) CheckAudioFrame(InboundMessage message)
    {
        if (!RealtimeCodec.IsValidAudioFrameLength(message.Length))
        {
            message.Release();
            return (null, BridgeErrors.InvalidAudioFrame, null);
        }

        if (!TryConsumeAudio(message.Length, out var report))
        {
            message.Release();
            return (null, report ? BridgeErrors.AudioRateExceeded : null, null);
        }

        var append = ArrayPool<byte>.Shared.Rent(RealtimeCodec.GetAppendEventLength(message.Length));
        var written = RealtimeCodec.WriteAppendEvent(message.Span, append);
        message.Release();
        return (OutboundFrame.Rented(FrameKind.Text, append, written), null, null);
    }

    /// <summary>Takes audio from the session's bucket; when refused, says whether this refusal should be reported (at most once a second).</summary>
    private bool TryConsumeAudio(int pcmBytes, out bool report)
    {
        if (_audioBucket.TryConsume(pcmBytes))
        {
            Statistics.AudioBytesIn += pcmBytes;
            report = false;
            return true;
        }

        report = _audioBucket.ShouldReport();
        return false;
    }

    /// <summary>Removes the fields the browser may not set; forwards the rest (byte-for-byte when nothing was removed).</summary>
    private static (OutboundFrame? Forward, string? Error, string? ErrorMessage) ApplyFieldPolicy(InboundMessage message, SessionUpdatePolicy policy, string prefix)
    {
        var rewritten = new ArrayBufferWriter<byte>(message.Length);
        var outcome = policy.Apply(message.Span, rewritten, out var removed);
        switch (outcome)
        {
            case SessionUpdateOutcome.Unchanged:
                return (OutboundFrame.Rented(FrameKind.Text, message.Buffer!, message.Length), null, null);

            case SessionUpdateOutcome.Rewritten:
                message.Release();
                var buffer = ArrayPool<byte>.Shared.Rent(rewritten.WrittenCount);
                rewritten.WrittenSpan.CopyTo(buffer);
                return (OutboundFrame.Rented(FrameKind.Text, buffer, rewritten.WrittenCount), BridgeErrors.SessionFieldLocked, LockedFieldsMessage(removed, prefix));

            case SessionUpdateOutcome.NothingLeft:
                message.Release();
                return (null, BridgeErrors.SessionFieldLocked, LockedFieldsMessage(removed, prefix) + " Nothing else was left, so the event was not forwarded.");

            default:
                message.Release();
                return (null, BridgeErrors.InvalidEvent, null);
        }
    }

    private static string LockedFieldsMessage(IReadOnlyList<string> removed, string prefix)
    {
        const int MaxNames = 10;
        var names = removed.Take(MaxNames).Select(name => prefix + (name.Length > 64 ? name[..64] + "…" : name));
        var more = removed.Count > MaxNames ? $" and {removed.Count - MaxNames} more" : string.Empty;
        return $"These fields are set by the server and were removed: {string.Join(", ", names)}{more}.";
    }

    private async Task RunUpstreamAsync()
    {
        WebSocket upstream;
        var connectStarted = _timeProvider.GetTimestamp();
        try
        {
            upstream = await _connector.ConnectAsync(_connectCts.Token).ConfigureAwait(false);
            _metrics.UpstreamConnected(_timeProvider.GetElapsedTime(connectStarted));
        }
        catch (UpstreamConnectException e)
        {
            Log.UpstreamConnectFailed(_logger, e.Message, (int?)e.StatusCode ?? 0);
            var code = e.Failure switch
            {
                UpstreamFailure.AuthRejected => BridgeErrors.UpstreamAuthFailed,
                UpstreamFailure.RateLimited => BridgeErrors.UpstreamRateLimited,
                _ => BridgeErrors.UpstreamUnavailable,
            };
            _metrics.UpstreamConnectFailed(code);
            EndWithError(SessionSide.Upstream, code, code);
            return;
        }
        catch (OperationCanceledException)
        {
            // The session ended while connecting.
            return;
        }
        catch (Exception e)
        {
            Log.LoopFailed(_logger, "upstream connect", e);
            EndWithError(SessionSide.Bridge, BridgeErrors.UpstreamUnavailable, BridgeErrors.UpstreamUnavailable);
            return;
        }

        _upstream = upstream;
        Interlocked.CompareExchange(ref _state, (int)SessionState.Open, (int)SessionState.Connecting);

        // The server-owned session.update is always the first upstream frame (then the token's session claim, if any);
        // browser frames queued meanwhile follow in order.
        var send = SendLoopAsync(upstream, _toUpstream, SessionSide.Upstream, _initialUpstreamFrames);
        var receive = ReceiveFromUpstreamAsync(upstream);
        await Task.WhenAll(send, receive).ConfigureAwait(false);
    }

    private async Task ReceiveFromUpstreamAsync(WebSocket upstream)
    {
        var token = _sessionCts.Token;
        try
        {
            while (true)
            {
                var first = await MessageReader.WaitAsync(upstream, token).ConfigureAwait(false);
                var message = await MessageReader.ReadAsync(upstream, first, UpstreamMaxMessageBytes, MessageReader.DefaultInitialBufferSize, token).ConfigureAwait(false);
                switch (message.Kind)
                {
                    case InboundKind.Close:
                        EndByUpstreamClose(message.CloseStatus, message.CloseDescription);
                        return;

                    case InboundKind.TooBig:
                        Log.UpstreamMessageTooBig(_logger, UpstreamMaxMessageBytes);
                        EndWithError(SessionSide.Upstream, BridgeErrors.UpstreamDisconnected, BridgeErrors.UpstreamDisconnected);
                        continue;
                }

                if (Outcome is not null)
                {
                    message.Release();
                    continue;
                }

                Statistics.UpstreamFramesIn++;
                var sampleStart = _metrics.StartForwardSample();
                var flags = message.Kind == InboundKind.Text ? ObserveUpstreamEvent(message.Span) : FrameFlags.None;
                var isAudioDelta = (flags & FrameFlags.AudioDelta) != 0;
                var frame = ToBrowserFrame(message, isAudioDelta).WithSample(sampleStart).WithFlags(flags, Volatile.Read(ref _interruptEpoch));
                if (await EnqueueToBrowserAsync(frame).ConfigureAwait(false) && isAudioDelta)
                {
                    RecordFirstAudio();
                }
            }
        }
        catch (Exception e) when (IsSocketEnd(e))
        {
            Log.SocketEnded(_logger, "upstream", e.GetBaseException().Message);
            EndUpstreamGone();
        }
        catch (Exception e)
        {
            Log.LoopFailed(_logger, "upstream receive", e);
            EndWithError(SessionSide.Bridge, SessionOutcome.InternalError, BridgeErrors.UpstreamDisconnected);
        }
    }

    /// <summary>Pass-through byte-for-byte, except audio deltas in binary mode: JSON without <c>delta</c>, then the PCM.</summary>
    private OutboundFrame ToBrowserFrame(InboundMessage message, bool isAudioDelta)
    {
        var kind = message.Kind == InboundKind.Text ? FrameKind.Text : FrameKind.Binary;
        if (!BinaryAudio || !isAudioDelta)
        {
            return OutboundFrame.Rented(kind, message.Buffer!, message.Length);
        }

        var length = message.Length;
        var split = ArrayPool<byte>.Shared.Rent(length + Base64.GetMaxDecodedFromUtf8Length(length));
        if (!RealtimeCodec.TrySplitAudioDelta(message.Span, split.AsSpan(0, length), out var jsonLength, split.AsSpan(length), out var pcmLength))
        {
            ArrayPool<byte>.Shared.Return(split);
            return OutboundFrame.Rented(kind, message.Buffer!, message.Length);
        }

        message.Release();
        split.AsSpan(length, pcmLength).CopyTo(split.AsSpan(jsonLength));
        return OutboundFrame.Rented(FrameKind.TextThenBinary, split, jsonLength + pcmLength, jsonLength);
    }

    /// <summary>
    /// The few upstream events the bridge looks at, besides passing them on: audio (accounted, never shown to
    /// watchers), turn ends, responses and their token usage. Every other event goes to the watchers, if any.
    /// </summary>
    private FrameFlags ObserveUpstreamEvent(ReadOnlySpan<byte> frame)
    {
        if (!RealtimeCodec.TryReadType(frame, out var type))
        {
            return FrameFlags.None;
        }

        if (RealtimeEventTypes.IsAudioDelta(type))
        {
            Statistics.AudioBytesOut += RealtimeCodec.GetAudioDeltaByteCount(frame);
            return FrameFlags.AudioDelta;
        }

        Events.Publish(frame);
        if (type.SequenceEqual(RealtimeEventTypes.InputAudioBufferCommitted))
        {
            MarkTurnEnd();
        }
        else if (type.SequenceEqual(RealtimeEventTypes.ResponseCreated))
        {
            return FrameFlags.ResponseCreated;
        }
        else if (type.SequenceEqual(RealtimeEventTypes.ResponseDone))
        {
            Statistics.Responses++;
            if (TokenUsage.TryParse(frame, out var usage))
            {
                _metrics.Tokens(usage);
                Statistics.AddTokens(usage);
            }

            return FrameFlags.ResponseDone;
        }

        return FrameFlags.None;
    }

    /// <summary>The caller's turn has ended; the next audio delta to the browser measures time-to-first-audio.</summary>
    private void MarkTurnEnd() => Interlocked.CompareExchange(ref _turnEndTimestamp, _timeProvider.GetTimestamp(), 0);

    private void RecordFirstAudio()
    {
        var turnEnd = Interlocked.Exchange(ref _turnEndTimestamp, 0);
        if (turnEnd != 0)
        {
            var elapsed = _timeProvider.GetElapsedTime(turnEnd);
            _metrics.FirstAudio(elapsed);
            Statistics.AddFirstAudio(elapsed);
        }
    }

    /// <summary>
    /// Queues a frame for the browser. A full queue is waited on for at most <c>SlowClientTimeout</c>; after
    /// that the browser is too slow and the session ends with <c>slow_consumer</c>. Returns false if the frame
    /// was not queued (and has been released).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> EnqueueToBrowserAsync(OutboundFrame frame)
    {
        if (_toBrowser.TryEnqueue(frame))
        {
            return true;
        }

        if (_toBrowser.IsClosing)
        {
            frame.Release();
            return false;
        }

        Statistics.QueueFullWaits++;
        _metrics.QueueFullWait(FrameDirection.Outbound);
        using var timeout = new CancellationTokenSource(_options.SlowClientTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _sessionCts.Token);
        try
        {
            await _toBrowser.EnqueueAsync(frame, linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !_sessionCts.IsCancellationRequested)
        {
            frame.Release();
            Log.SlowConsumer(_logger, _options.SlowClientTimeout.TotalSeconds, _toBrowser.Count);
            EndWithError(SessionSide.Bridge, BridgeErrors.SlowConsumer, BridgeErrors.SlowConsumer);
            return false;
        }
        catch (ChannelClosedException)
        {
            frame.Release();
            return false;
        }
        catch
        {
            frame.Release();
            throw;
        }
    }

    private async ValueTask SendErrorToBrowserAsync(string code, string? message = null)
    {
        _metrics.Error(code);
        var buffer = BridgeErrors.Rent(code, message ?? BridgeErrors.DefaultMessage(code), out var length);
        await EnqueueToBrowserAsync(OutboundFrame.Rented(FrameKind.Text, buffer, length)).ConfigureAwait(false);
    }

    /// <summary>The only code that sends on a socket: frames in queue order, then the socket's close.</summary>
    private async Task SendLoopAsync(WebSocket socket, OutboundQueue queue, SessionSide side, byte[][] initialFrames)
    {
        var token = _sessionCts.Token;
        try
        {
            foreach (var frame in initialFrames)
            {
                if (queue.IsClosing)
                {
                    break;
                }

                await socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
            }

            // No token on the wait: every way a session ends completes the queue (End, Release), which ends the wait,
            // and an uncancellable wait reuses the channel's one waiter instead of allocating one per idle period.
            var reader = queue.Reader;
            while (queue.UrgentClose is null && await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
            {
                while (queue.UrgentClose is null && reader.TryRead(out var frame))
                {
                    if (side == SessionSide.Browser && IsInterruptedAudio(frame))
                    {
                        frame.Release();
                        continue;
                    }

                    try
                    {
                        await SendFrameAsync(socket, frame, side, token).ConfigureAwait(false);
                        var direction = side == SessionSide.Browser ? FrameDirection.Outbound : FrameDirection.Inbound;
                        _metrics.ForwardSample(direction, frame.SampleStart);
                        if (side == SessionSide.Browser)
                        {
                            _metrics.FrameForwarded(FrameDirection.Outbound, frame.Kind, frame.Length);
                        }
                    }
                    finally
                    {
                        frame.Release();
                    }
                }
            }

            if (queue.Close is { } close)
            {
                await CloseSocketAsync(socket, close, token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (IsSocketEnd(e))
        {
            Log.SocketEnded(_logger, side == SessionSide.Browser ? "browser" : "upstream", e.GetBaseException().Message);
            if (side == SessionSide.Browser)
            {
                EndBrowserGone();
            }
            else
            {
                EndUpstreamGone();
            }
        }
        catch (Exception e)
        {
            Log.LoopFailed(_logger, side == SessionSide.Browser ? "browser send" : "upstream send", e);
            EndWithError(SessionSide.Bridge, SessionOutcome.InternalError, BridgeErrors.UpstreamDisconnected);
        }
    }

    /// <summary>
    /// After an operator's interrupt, audio to the browser is skipped until the interrupted response ends
    /// (its <c>response.done</c>) or a response begun after the interrupt starts.
    /// </summary>
    private bool IsInterruptedAudio(OutboundFrame frame)
    {
        var suppressFrom = Volatile.Read(ref _suppressAudioFrom);
        if (suppressFrom == 0)
        {
            return false;
        }

        if ((frame.Flags & FrameFlags.AudioDelta) != 0)
        {
            return true;
        }

        if ((frame.Flags & FrameFlags.ResponseDone) != 0 || ((frame.Flags & FrameFlags.ResponseCreated) != 0 && frame.Epoch >= suppressFrom))
        {
            Interlocked.CompareExchange(ref _suppressAudioFrom, 0, suppressFrom);
        }

        return false;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendFrameAsync(WebSocket socket, OutboundFrame frame, SessionSide side, CancellationToken token)
    {
        var payload = frame.Payload;
        switch (frame.Kind)
        {
            case FrameKind.Text:
                await socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
                break;
            case FrameKind.Binary:
                await socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, token).ConfigureAwait(false);
                break;
            case FrameKind.TextThenBinary:
                await socket.SendAsync(payload[..frame.Split], WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
                await socket.SendAsync(payload[frame.Split..], WebSocketMessageType.Binary, endOfMessage: true, token).ConfigureAwait(false);
                if (side == SessionSide.Browser)
                {
                    Statistics.FramesOut++;
                }

                break;
        }

        if (side == SessionSide.Browser)
        {
            Statistics.FramesOut++;
            Statistics.BytesOut += frame.Length;
        }
    }

    private static async ValueTask CloseSocketAsync(WebSocket socket, CloseRequest close, CancellationToken token)
    {
        if (close.AbortOnly)
        {
            socket.Abort();
            return;
        }

        if (close.AlreadyClosing)
        {
            return;
        }

        if (socket.State == WebSocketState.Open && !close.FinalEvent.IsEmpty)
        {
            await socket.SendAsync(close.FinalEvent, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(close.Status, close.Description, token).ConfigureAwait(false);
        }
    }

    // ---- How a session ends: each helper records the outcome once and puts a close on both queues. ----

    private void EndByBrowserClose(WebSocketCloseStatus? status, string? description)
    {
        var (echoStatus, echoDescription) = CloseStatusMap.EchoToBrowser(status, description);
        End(
            new SessionOutcome(SessionSide.Browser, SessionOutcome.BrowserClosed, status, DeliverQueuedFirst: false),
            new CloseRequest(echoStatus, echoDescription),
            browserNow: true,
            new CloseRequest(WebSocketCloseStatus.NormalClosure, "client closed"),
            upstreamNow: false);
    }

    private void EndBrowserGone()
    {
        // A protocol error (invalid UTF-8, a bad frame) makes the WebSocket layer send its own close and throw:
        // that close must still be flushed, not cut off by an abort.
        var protocolError = _browser.State == WebSocketState.CloseSent;
        End(
            new SessionOutcome(SessionSide.Browser, protocolError ? SessionOutcome.BrowserProtocolError : SessionOutcome.BrowserDisconnected, null, DeliverQueuedFirst: false),
            protocolError ? CloseRequest.AlreadySent : CloseRequest.Abort,
            browserNow: true,
            new CloseRequest(WebSocketCloseStatus.NormalClosure, "client disconnected"),
            upstreamNow: true);
    }

    private void EndByUpstreamClose(WebSocketCloseStatus? status, string? description)
    {
        var (browserStatus, browserDescription) = CloseStatusMap.ForBrowser(status, description);
        End(
            new SessionOutcome(SessionSide.Upstream, SessionOutcome.UpstreamClosed, browserStatus, DeliverQueuedFirst: true),
            new CloseRequest(browserStatus, browserDescription),
            browserNow: false,
            new CloseRequest(WebSocketCloseStatus.NormalClosure, null),
            upstreamNow: true);
    }

    private void EndUpstreamGone()
    {
        var status = BridgeErrors.CloseStatusFor(BridgeErrors.UpstreamDisconnected);
        var error = BridgeErrors.Rent(BridgeErrors.UpstreamDisconnected, BridgeErrors.DefaultMessage(BridgeErrors.UpstreamDisconnected), out var length);
        if (Outcome is null)
        {
            _metrics.Error(BridgeErrors.UpstreamDisconnected);
        }

        End(
            new SessionOutcome(SessionSide.Upstream, BridgeErrors.UpstreamDisconnected, status, DeliverQueuedFirst: true),
            new CloseRequest(status, BridgeErrors.UpstreamDisconnected, error, length),
            browserNow: false,
            CloseRequest.Abort,
            upstreamNow: true);
    }

    /// <summary>The bridge ends the session with one of the contract's errors: the browser hears it at once.</summary>
    private SessionOutcome EndWithError(SessionSide endedBy, string reason, string errorCode, string? message = null)
    {
        if (Outcome is { } existing)
        {
            return existing;
        }

        var status = BridgeErrors.CloseStatusFor(errorCode);
        var error = BridgeErrors.Rent(errorCode, message ?? BridgeErrors.DefaultMessage(errorCode), out var length);
        var outcome = new SessionOutcome(endedBy, reason, status, DeliverQueuedFirst: false);
        _metrics.Error(errorCode);
        End(
            outcome,
            new CloseRequest(status, errorCode, error, length),
            browserNow: true,
            new CloseRequest(WebSocketCloseStatus.NormalClosure, null),
            upstreamNow: true);
        return Outcome ?? outcome;
    }

    private void End(SessionOutcome outcome, CloseRequest browserClose, bool browserNow, CloseRequest upstreamClose, bool upstreamNow)
    {
        if (Interlocked.CompareExchange(ref _outcome, outcome, null) is not null)
        {
            browserClose.Release();
            upstreamClose.Release();
            return;
        }

        Volatile.Write(ref _state, (int)SessionState.Closing);
        Events.Complete();
        _ = browserNow ? _toBrowser.CloseNow(browserClose) : _toBrowser.CloseAfterDrain(browserClose);
        _ = upstreamNow ? _toUpstream.CloseNow(upstreamClose) : _toUpstream.CloseAfterDrain(upstreamClose);

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

    private static bool IsSocketEnd(Exception e) =>
        e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or ConnectionAbortedException;

    private int _released;

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        _requestAborted.Dispose();
        _toBrowser.DrainAndRelease();
        _toUpstream.DrainAndRelease();
        _upstream?.Dispose();
        _connectCts.Dispose();
        _sessionCts.Dispose();
    }
}
