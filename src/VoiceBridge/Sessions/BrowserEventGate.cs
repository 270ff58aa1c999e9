using System.Buffers;
using VoiceBridge.Limits;
using VoiceBridge.Realtime;
using VoiceBridge.Security;
using VoiceBridge.Tools;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>What the gate made of one browser message: the frame to forward upstream (if any) and the error to send back (if any).</summary>
/// <param name="TurnEnded">The browser asked for a response: its turn is over, and the next audio measures time-to-first-audio.</param>
internal readonly record struct GateVerdict(OutboundFrame? Forward, string? Error, string? ErrorMessage, bool TurnEnded = false)
{
    public static GateVerdict Refuse(string? error, string? message = null) => new(null, error, message);
}

/// <summary>
/// The server's rules over every browser message, with no socket in sight: a text event must be a JSON object with a
/// string type (one pass), of an allowed type, with no system items, audio within the rate and session or response
/// fields only where the browser may set them; a binary frame is PCM16 within the rate and becomes an append event.
/// Owns the message it is given: it either forwards its buffer or returns it to the pool.
/// </summary>
internal sealed class BrowserEventGate
{
    private readonly SessionServices _services;
    private readonly AudioRateBucket _audioBucket;
    private readonly SessionStatistics _statistics;

    private readonly UpstreamContinuity? _continuity;
    private readonly ConversationRecord? _conversation;
    private readonly bool _appliesAllowList;

    /// <param name="appliesAllowList">
    /// False for a phone leg: it sends only what the bridge builds from Twilio's messages (appends, key presses), and
    /// <c>Session:AllowedClientEvents</c> says what a browser may send; a list written for browsers must not mute callers.
    /// </param>
    public BrowserEventGate(SessionServices services, SessionStatistics statistics, UpstreamContinuity? continuity = null, ConversationRecord? conversation = null, bool appliesAllowList = true)
    {
        _appliesAllowList = appliesAllowList;
        _continuity = continuity;
        _conversation = conversation;
        _services = services;
        _statistics = statistics;
        _audioBucket = new AudioRateBucket(services.Limits, services.TimeProvider);
    }

    /// <summary>The session's tools: police browser tool items and keep the server's tools in a browser's session.update.</summary>
    public SessionTools? Tools { get; set; }

    public GateVerdict Check(InboundMessage message) =>
        message.Kind == InboundKind.Text ? CheckClientEvent(message) : CheckAudioFrame(message);

    private GateVerdict CheckClientEvent(InboundMessage message)
    {
        var span = message.Span;
        var inspection = ClientEventInspector.Inspect(span);
        if (!inspection.IsValid)
        {
            message.Release();
            return GateVerdict.Refuse(BridgeErrors.InvalidEvent);
        }

        if (_appliesAllowList && !_services.AllowedEvents.AllowsAny && !_services.AllowedEvents.Contains(span, inspection))
        {
            message.Release();
            return GateVerdict.Refuse(BridgeErrors.UnknownEvent);
        }

        var isResponseCreate = inspection.Kind == ClientEventKind.Other && inspection.TypeEquals(span, RealtimeEventTypes.ResponseCreate);
        if (Tools is { } tools && (inspection.Kind == ClientEventKind.ConversationItemCreate || isResponseCreate)
            && tools.CheckBrowserEvent(span, isResponseCreate) is { } toolError)
        {
            message.Release();
            return GateVerdict.Refuse(toolError);
        }

        switch (inspection.Kind)
        {
            case ClientEventKind.InputAudioBufferAppend when !TryConsumeAudio(inspection.AudioByteCount, out var report):
                message.Release();
                return GateVerdict.Refuse(report ? BridgeErrors.AudioRateExceeded : null);

            case ClientEventKind.ConversationItemCreate when inspection.HasSystemRole && !_services.AllowSystemItems:
                message.Release();
                return GateVerdict.Refuse(BridgeErrors.SystemItemLocked);

            case ClientEventKind.SessionUpdate:
                var update = ToolPolicy.KeepServerTools(ApplyFieldPolicy(message, _services.SessionPolicy, prefix: string.Empty), _services.Tools?.Catalog);
                if (update.Forward is { } forwarded)
                {
                    // What the browser was allowed to change is part of the configuration a replacement connection gets.
                    _continuity?.RememberBrowserSessionUpdate(forwarded.Payload.Span);
                }

                return update;

            case ClientEventKind.ConversationItemCreate:
                _conversation?.OnBrowserItemCreate(span);
                break;

            case ClientEventKind.Other when _continuity?.RefersToEarlierConnection(span) == true:
                // The item was made on a connection the bridge has since replaced: the new one does not know it.
                message.Release();
                return GateVerdict.Refuse(null);

            case ClientEventKind.Other when inspection.TypeEquals(span, RealtimeEventTypes.ResponseCreate):
                if (!_services.AllowSystemItems && ResponseGuard.HasSystemInput(span))
                {
                    message.Release();
                    return GateVerdict.Refuse(BridgeErrors.SystemItemLocked) with { TurnEnded = true };
                }

                // A response's own tools (when the policy lets the browser set them) replace the session's for that
                // response: the server's stay in front, and a tool named like one of them is refused, as for a session.update.
                return ToolPolicy.KeepServerTools(ApplyFieldPolicy(message, _services.ResponsePolicy, prefix: "response."), _services.Tools?.Catalog, container: "response") with { TurnEnded = true };
        }

        return new(OutboundFrame.Rented(FrameKind.Text, message.Buffer!, message.Length), null, null);
    }

    /// <summary>A binary frame is PCM16: non-empty, even, and within the audio rate. It becomes an append event.</summary>
    private GateVerdict CheckAudioFrame(InboundMessage message)
    {
        if (!RealtimeCodec.IsValidAudioFrameLength(message.Length))
        {
            message.Release();
            return GateVerdict.Refuse(BridgeErrors.InvalidAudioFrame);
        }

        if (!TryConsumeAudio(message.Length, out var report))
        {
            message.Release();
            return GateVerdict.Refuse(report ? BridgeErrors.AudioRateExceeded : null);
        }

        var append = ArrayPool<byte>.Shared.Rent(RealtimeCodec.GetAppendEventLength(message.Length));
        var written = RealtimeCodec.WriteAppendEvent(message.Span, append);
        message.Release();
        return new(OutboundFrame.Rented(FrameKind.Text, append, written), null, null);
    }

    /// <summary>Takes audio from the session's bucket; when refused, says whether this refusal should be reported (at most once a second).</summary>
    private bool TryConsumeAudio(int pcmBytes, out bool report)
    {
        if (_audioBucket.TryConsume(pcmBytes))
        {
            _statistics.AudioBytesIn += pcmBytes;
            report = false;
            return true;
        }

        report = _audioBucket.ShouldReport();
        return false;
    }

    /// <summary>Removes the fields the browser may not set; forwards the rest (byte-for-byte when nothing was removed).</summary>
    private static GateVerdict ApplyFieldPolicy(InboundMessage message, SessionUpdatePolicy policy, string prefix)
    {
        var rewritten = new ArrayBufferWriter<byte>(message.Length);
        var outcome = policy.Apply(message.Span, rewritten, out var removed);
        switch (outcome)
        {
            case SessionUpdateOutcome.Unchanged:
                return new(OutboundFrame.Rented(FrameKind.Text, message.Buffer!, message.Length), null, null);

            case SessionUpdateOutcome.Rewritten:
                message.Release();
                var buffer = ArrayPool<byte>.Shared.Rent(rewritten.WrittenCount);
                rewritten.WrittenSpan.CopyTo(buffer);
                return new(OutboundFrame.Rented(FrameKind.Text, buffer, rewritten.WrittenCount), BridgeErrors.SessionFieldLocked, LockedFieldsMessage(removed, prefix));

            case SessionUpdateOutcome.NothingLeft:
                message.Release();
                return GateVerdict.Refuse(BridgeErrors.SessionFieldLocked, LockedFieldsMessage(removed, prefix) + " Nothing else was left, so the event was not forwarded.");

            default:
                message.Release();
                return GateVerdict.Refuse(BridgeErrors.InvalidEvent);
        }
    }

    private static string LockedFieldsMessage(IReadOnlyList<string> removed, string prefix)
    {
        const int MaxNames = 10;
        var names = removed.Take(MaxNames).Select(name => prefix + (name.Length > 64 ? name[..64] + "…" : name));
        var more = removed.Count > MaxNames ? $" and {removed.Count - MaxNames} more" : string.Empty;
        return $"These fields are set by the server and were removed: {string.Join(", ", names)}{more}.";
    }
}
