using VoiceBridge.Diagnostics;
using VoiceBridge.Realtime;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// What the bridge learns from the conversation as it passes: statistics, token usage, time to first audio, and the
/// operator's interrupts (which audio belongs to an interrupted response). No socket: the legs feed it.
/// </summary>
internal sealed class UpstreamEventObserver
{
    private readonly SessionStatistics _statistics;
    private readonly BridgeMetrics _metrics;
    private readonly SessionEventTap _events;
    private readonly TimeProvider _timeProvider;

    /// <summary>When the caller's turn ended (committed upstream, or a browser response.create); 0 when no turn awaits its first audio.</summary>
    private long _turnEndTimestamp;

    /// <summary>How many operator interrupts so far; stamped on every frame queued for the browser.</summary>
    private int _interruptEpoch;

    /// <summary>While non-zero (the epoch of the last interrupt), audio deltas to the browser are skipped: they belong to the interrupted response.</summary>
    private int _suppressAudioFrom;

    public UpstreamEventObserver(SessionStatistics statistics, BridgeMetrics metrics, SessionEventTap events, TimeProvider timeProvider)
    {
        _statistics = statistics;
        _metrics = metrics;
        _events = events;
        _timeProvider = timeProvider;
    }

    /// <summary>The session's conversation record, fed with every event but audio (it reads only the few it needs).</summary>
    public ConversationRecord? Conversation { get; set; }

    /// <summary>The interrupt epoch to stamp on a frame queued for the browser now.</summary>
    public int Epoch => Volatile.Read(ref _interruptEpoch);

    /// <summary>
    /// The few upstream events the bridge looks at, besides passing them on: audio (accounted, never shown to
    /// watchers), turn ends, responses and their token usage. Every other event goes to the watchers, if any.
    /// </summary>
    public FrameFlags Observe(ReadOnlySpan<byte> frame)
    {
        if (!RealtimeCodec.TryReadType(frame, out var type))
        {
            return FrameFlags.None;
        }

        if (RealtimeEventTypes.IsAudioDelta(type))
        {
            _statistics.AudioBytesOut += RealtimeCodec.GetAudioDeltaByteCount(frame);
            return FrameFlags.AudioDelta;
        }

        _events.Publish(frame);
        Conversation?.OnUpstreamEvent(type, frame);
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
            _statistics.Responses++;
            if (TokenUsage.TryParse(frame, out var usage))
            {
                _metrics.Tokens(usage);
                _statistics.AddTokens(usage);
            }

            return FrameFlags.ResponseDone;
        }

        return FrameFlags.None;
    }

    /// <summary>The caller's turn has ended; the next audio delta to the browser measures time-to-first-audio.</summary>
    public void MarkTurnEnd() => Interlocked.CompareExchange(ref _turnEndTimestamp, _timeProvider.GetTimestamp(), 0);

    /// <summary>An audio delta was queued for the browser: the first one after a turn's end is its time to first audio.</summary>
    public void AudioQueued()
    {
        var turnEnd = Interlocked.Exchange(ref _turnEndTimestamp, 0);
        if (turnEnd != 0)
        {
            var elapsed = _timeProvider.GetElapsedTime(turnEnd);
            _metrics.FirstAudio(elapsed);
            _statistics.AddFirstAudio(elapsed);
        }
    }

    /// <summary>An operator interrupt: audio of the response in progress is skipped from now on. Returns the new epoch.</summary>
    public int Interrupt()
    {
        var epoch = Interlocked.Increment(ref _interruptEpoch);
        Volatile.Write(ref _suppressAudioFrom, epoch);
        return epoch;
    }

    /// <summary>
    /// After an operator's interrupt, audio to the browser is skipped until the interrupted response ends
    /// (its <c>response.done</c>) or a response begun after the interrupt starts.
    /// </summary>
    public bool IsInterruptedAudio(in OutboundFrame frame)
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
}
