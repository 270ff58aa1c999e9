using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Sessions;

/// <summary>The upstream pump's hook: which events of the current (or a replaced) connection the browser sees.</summary>
internal sealed partial class UpstreamContinuity
{
    private const int ResponseEnds = 1;
    private const int SpeechEnds = 2;

    /// <summary>Ends seen by <see cref="Admit"/> that count once the event is forwarded; the upstream pump's alone.</summary>
    private int _quietAfterForward;

    /// <summary>
    /// The upstream pump's hook: false for an event the browser must not see (the caller releases it). Audio deltas
    /// return at the first comparison; the few events read here are rare (a handful per turn).
    /// </summary>
    public bool Admit(WebSocket socket, ReadOnlySpan<byte> frame)
    {
        Span<byte> scratch = stackalloc byte[64];
        if (!RealtimeCodec.TryReadType(frame, scratch, out var type) || RealtimeEventTypes.IsAudioDelta(type))
        {
            return true;
        }

        if (type.SequenceEqual(RealtimeEventTypes.ResponseCreated))
        {
            _responseId = ReadString(frame, "response"u8, "id"u8);
            _responseInProgress = true;
            return true;
        }

        if (type.SequenceEqual(RealtimeEventTypes.ResponseDone))
        {
            _quietAfterForward |= ResponseEnds;
            return true;
        }

        if (type.SequenceEqual("input_audio_buffer.speech_started"u8))
        {
            _speechInProgress = true;
            return true;
        }

        if (type.SequenceEqual("input_audio_buffer.speech_stopped"u8) || type.SequenceEqual(RealtimeEventTypes.InputAudioBufferCommitted)
            || type.SequenceEqual("input_audio_buffer.cleared"u8))
        {
            _quietAfterForward |= SpeechEnds;
            return true;
        }

        if (type.SequenceEqual("conversation.item.added"u8) || type.SequenceEqual("conversation.item.created"u8)
            || type.SequenceEqual("conversation.item.done"u8) || type.SequenceEqual("response.output_item.added"u8))
        {
            return AdmitItem(socket, frame);
        }

        if (type.SequenceEqual("session.created"u8) || type.SequenceEqual("session.updated"u8))
        {
            return AdmitSession(socket, frame, created: type[8] == (byte)'c');
        }

        if (type.SequenceEqual(RealtimeEventTypes.Error))
        {
            return AdmitError(frame);
        }

        return true;
    }

    /// <summary>
    /// The upstream pump is done with the event it admitted last (queued for the browser, or dropped by a later hook).
    /// A response's or speech's end counts only now: a switch that a quiet moment lets start must not overtake the
    /// <c>response.done</c> that made it quiet on its way to the browser.
    /// </summary>
    public void Forwarded()
    {
        var ends = _quietAfterForward;
        if (ends == 0)
        {
            return;
        }

        _quietAfterForward = 0;
        if ((ends & ResponseEnds) != 0)
        {
            _responseInProgress = false;
        }

        if ((ends & SpeechEnds) != 0)
        {
            _speechInProgress = false;
        }

        Signal();
    }

    private bool AdmitItem(WebSocket socket, ReadOnlySpan<byte> frame)
    {
        var id = ReadString(frame, "item"u8, "id"u8);
        if (id is null)
        {
            return true;
        }

        lock (_lock)
        {
            if (_priming is { } priming && ReferenceEquals(priming.Socket, socket) && priming.ReplayedItemIds.Contains(id))
            {
                return false;
            }

            _currentItemIds ??= new(StringComparer.Ordinal);
            if (_currentItemIds.Count < MaxTrackedItemIds)
            {
                _currentItemIds.Add(id);
            }
        }

        return true;
    }

    private bool AdmitSession(WebSocket socket, ReadOnlySpan<byte> frame, bool created)
    {
        string? modalities = null;
        long? expiresAt = null;
        try
        {
            var reader = new Utf8JsonReader(frame);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.TryGetProperty("session"u8, out var session) && session.ValueKind == JsonValueKind.Object)
            {
                if (session.TryGetProperty(_shape == SessionShape.GA ? "output_modalities"u8 : "modalities"u8, out var value) && value.ValueKind == JsonValueKind.Array)
                {
                    modalities = value.GetRawText();
                }

                if (created && session.TryGetProperty("expires_at"u8, out var expires) && expires.TryGetInt64(out var seconds) && seconds > 0)
                {
                    expiresAt = seconds;
                }
            }
        }
        catch (Exception e) when (IsMalformed(e))
        {
            // Not ours to judge: forwarded as it is.
        }

        bool admit;
        lock (_lock)
        {
            var primed = _priming is { } priming && ReferenceEquals(priming.Socket, socket);
            if (created)
            {
                admit = !primed || _sessionCreatedDropped;
                _sessionCreatedDropped |= primed;
                if (expiresAt is { } expiry)
                {
                    _expiresAt = DateTimeOffset.FromUnixTimeSeconds(expiry);
                    ArmRolloverLocked();
                }
            }
            else
            {
                admit = !primed || _sessionUpdatedToDrop == 0;
                if (!admit)
                {
                    _sessionUpdatedToDrop--;
                }
            }

            if (modalities is not null)
            {
                _outputModalities = modalities;
            }
        }

        if (created)
        {
            Signal();
        }

        return admit;
    }

    private bool AdmitError(ReadOnlySpan<byte> frame)
    {
        var code = ReadString(frame, "error"u8, "code"u8);
        if (code == "session_expired" && _options.ReconnectUpstream)
        {
            // OpenAI's notice before its 1001: the bridge replaces the connection, the browser carries on.
            return false;
        }

        return ReadString(frame, "error"u8, "event_id"u8) is not { } eventId || !eventId.StartsWith(UpstreamPriming.EventIdPrefix, StringComparison.Ordinal);
    }
}
