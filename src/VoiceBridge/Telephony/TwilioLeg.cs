using System.Buffers;
using System.Buffers.Text;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Telephony;

/// <summary>
/// A phone call's leg: Twilio's Media Streams socket in place of a browser's, over the same session core (queues,
/// gate, limits, tools, metrics, upstream reconnect). µ-law passes through untouched both ways:
/// <code>
///  Twilio media (base64 µ-law) ──▶ input_audio_buffer.append (same base64) ──gate──▶ upstream
///  Twilio ◀── media ×160 B + mark every ≤100 ms ◀── response.output_audio.delta (µ-law) ◀── upstream
/// </code>
/// Marks that Twilio echoes tell what the caller has heard (<see cref="TwilioPlayback"/>); on
/// <c>input_audio_buffer.speech_started</c> the leg sends <c>clear</c>, truncates the assistant's item at the audio
/// heard and skips the rest of it. <c>dtmf</c> becomes a user text item; <c>stop</c> ends the session (upstream 1000).
/// </summary>
internal sealed class TwilioLeg : BrowserLeg
{
    private const int InitialBufferBytes = 1024;

    private readonly TwilioCall _call;
    private readonly TwilioOutbound _outbound;
    private readonly TwilioPlayback _playback = new();

    // Owned by the send loop alone.
    private byte[] _pending = new byte[TwilioOutbound.ChunkBytes * 8];
    private int _pendingLength;
    private string? _item;
    private string? _skippedItem;

    public TwilioLeg(BridgeSession session, WebSocket socket, TwilioCall call)
        : base(session, socket)
    {
        _call = call;
        _outbound = new TwilioOutbound(call.StreamSid);
    }

    private enum UpstreamKind
    {
        Ignored,
        AudioDelta,
        AudioDone,
        SpeechStarted,
        Cleared,
    }

    /// <summary>Twilio has no use for the bridge's error events; the close code tells it the call is over.</summary>
    protected override bool SendsFinalEvent => false;

    /// <summary>The media socket ends with 1000 (a normal end), 1001 (shutdown), 1008 (policy) or else 1011 (a failure).</summary>
    protected override WebSocketCloseStatus CloseStatusFor(WebSocketCloseStatus status) => status switch
    {
        WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable or WebSocketCloseStatus.PolicyViolation => status,
        _ => WebSocketCloseStatus.InternalServerError,
    };

    protected override async ValueTask<LegResult> PumpAsync(CancellationToken token)
    {
        var session = Session;
        var maxBytes = session.Options.MaxMessageBytes;
        while (true)
        {
            var first = await MessageReader.WaitAsync(Socket, SocketToken).ConfigureAwait(false);
            var message = await MessageReader.ReadAsync(Socket, first, maxBytes, InitialBufferBytes, SocketToken).ConfigureAwait(false);
            switch (message.Kind)
            {
                case InboundKind.Close:
                    return LegResult.Closed(message.CloseStatus, message.CloseDescription);
                case InboundKind.TooBig:
                    return LegResult.TooBig;
            }

            if (session.HasEnded || message.Kind != InboundKind.Text)
            {
                message.Release();
                continue;
            }

            session.BrowserActive(message.Length);
            var sampleStart = session.Metrics.StartForwardSample();
            var inbound = TwilioInbound.Parse(message.Span);
            InboundMessage? forward = inbound.Event switch
            {
                TwilioEvent.Media when inbound.InboundTrack => Append(inbound.Payload(message.Span)),
                TwilioEvent.Dtmf when !string.IsNullOrEmpty(inbound.Name) => DtmfItem(inbound.Name),
                _ => null,
            };
            message.Release();
            switch (inbound.Event)
            {
                case TwilioEvent.Mark:
                    _playback.Acknowledged(inbound.Name);
                    break;
                case TwilioEvent.Stop:
                    // The caller hung up: the session ends as a client's close, and the upstream is closed with 1000.
                    return LegResult.Closed(WebSocketCloseStatus.NormalClosure, "stop");
            }

            if (forward is { } frame)
            {
                await ForwardAsync(frame, sampleStart, token).ConfigureAwait(false);
            }
        }
    }

    protected override async ValueTask SendFrameAsync(OutboundFrame frame, CancellationToken token)
    {
        if (frame.Kind != FrameKind.Text)
        {
            return;
        }

        switch (Classify(frame.Payload.Span))
        {
            case UpstreamKind.AudioDelta:
                await SendAudioAsync(frame.Payload, token).ConfigureAwait(false);
                break;
            case UpstreamKind.AudioDone:
                await FlushAsync(token).ConfigureAwait(false);
                break;
            case UpstreamKind.SpeechStarted:
                await BargeInAsync(truncate: true, token).ConfigureAwait(false);
                break;
            case UpstreamKind.Cleared:
                // An operator's interrupt: stop what Twilio is playing too (the response is cancelled upstream).
                await BargeInAsync(truncate: false, token).ConfigureAwait(false);
                break;
        }
    }

    private static UpstreamKind Classify(ReadOnlySpan<byte> json)
    {
        if (!RealtimeCodec.TryReadType(json, out var type))
        {
            return UpstreamKind.Ignored;
        }

        return RealtimeEventTypes.IsAudioDelta(type) ? UpstreamKind.AudioDelta
            : type.SequenceEqual("response.output_audio.done"u8) || type.SequenceEqual("response.audio.done"u8) ? UpstreamKind.AudioDone
            : type.SequenceEqual("input_audio_buffer.speech_started"u8) ? UpstreamKind.SpeechStarted
            : type.SequenceEqual("output_audio_buffer.cleared"u8) ? UpstreamKind.Cleared
            : UpstreamKind.Ignored;
    }

    private async ValueTask SendAudioAsync(ReadOnlyMemory<byte> json, CancellationToken token)
    {
        if (!ReadDelta(json.Span, out var item, out var deltaStart, out var deltaLength) || item == _skippedItem)
        {
            return;
        }

        if (_item != item)
        {
            // A new item without its predecessor's done: finish the old one first.
            await FlushAsync(token).ConfigureAwait(false);
            _item = item;
        }

        var base64 = json.Slice(deltaStart, deltaLength);
        var room = Base64.GetMaxDecodedFromUtf8Length(deltaLength);
        if (_pending.Length - _pendingLength < room)
        {
            Array.Resize(ref _pending, _pendingLength + room);
        }

        if (Base64.DecodeFromUtf8(base64.Span, _pending.AsSpan(_pendingLength), out _, out var decoded) != OperationStatus.Done)
        {
            return;
        }

        _pendingLength += decoded;
        var offset = 0;
        while (_pendingLength - offset >= TwilioOutbound.ChunkBytes)
        {
            await SendChunkAsync(offset, TwilioOutbound.ChunkBytes, token).ConfigureAwait(false);
            offset += TwilioOutbound.ChunkBytes;
            if (_playback.MarkDue(final: false) is { } mark)
            {
                await Socket.SendAsync(_outbound.Mark(mark), WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
            }
        }

        _pending.AsSpan(offset, _pendingLength - offset).CopyTo(_pending);
        _pendingLength -= offset;
    }

    /// <summary>A response's audio is complete: the rest goes (possibly shorter than a chunk), then a mark after it.</summary>
    private async ValueTask FlushAsync(CancellationToken token)
    {
        if (_item is null)
        {
            return;
        }

        if (_pendingLength > 0)
        {
            await SendChunkAsync(0, _pendingLength, token).ConfigureAwait(false);
            _pendingLength = 0;
        }

        if (_playback.MarkDue(final: true) is { } mark)
        {
            await Socket.SendAsync(_outbound.Mark(mark), WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        }

        _item = null;
    }

    private async ValueTask SendChunkAsync(int offset, int length, CancellationToken token)
    {
        await Socket.SendAsync(_outbound.Media(_pending.AsSpan(offset, length)), WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        _playback.Sent(_item!, length);
    }

    /// <summary>
    /// The caller spoke over the assistant: if some audio sent has not been heard yet, Twilio drops what it buffered
    /// (<c>clear</c>), the assistant's item is truncated at what the caller heard, and the rest of it is skipped.
    /// </summary>
    private async ValueTask BargeInAsync(bool truncate, CancellationToken token)
    {
        if (!_playback.TryInterrupt(out var item, out var heardMs))
        {
            return;
        }

        _skippedItem = item;
        _item = null;
        _pendingLength = 0;
        await Socket.SendAsync(_outbound.Clear, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        if (truncate)
        {
            TelephonyLog.BargeIn(Session.Logger, _call.CallSid, heardMs);
            var truncation = Encoding.UTF8.GetBytes(
                $$"""{"type":"conversation.item.truncate","event_id":"event_voicebridge_barge_in","item_id":{{JsonSerializer.Serialize(item)}},"content_index":0,"audio_end_ms":{{heardMs}}}""");
            await Session.InjectUpstreamAsync(truncation, token).ConfigureAwait(false);
        }
    }

    /// <summary>The item and the base64 audio of a delta event, located in its bytes.</summary>
    private bool ReadDelta(ReadOnlySpan<byte> json, out string? item, out int deltaStart, out int deltaLength)
    {
        item = null;
        deltaStart = -1;
        deltaLength = 0;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("item_id"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    // The common case (the same item as the last delta) allocates nothing.
                    item = _item is not null && reader.ValueTextEquals(_item) ? _item
                        : _skippedItem is not null && reader.ValueTextEquals(_skippedItem) ? _skippedItem
                        : reader.GetString();
                }
            }
            else if (reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped)
                {
                    deltaStart = (int)reader.TokenStartIndex + 1;
                    deltaLength = reader.ValueSpan.Length;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        item ??= string.Empty;
        return deltaStart >= 0;
    }

    private static InboundMessage Append(ReadOnlySpan<byte> base64)
    {
        ReadOnlySpan<byte> prefix = "{\"type\":\"input_audio_buffer.append\",\"audio\":\""u8;
        var length = prefix.Length + base64.Length + 2;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        prefix.CopyTo(buffer);
        base64.CopyTo(buffer.AsSpan(prefix.Length));
        "\"}"u8.CopyTo(buffer.AsSpan(prefix.Length + base64.Length));
        return InboundMessage.Data(WebSocketMessageType.Text, buffer, length);
    }

    /// <summary>A key press as a user text item, <c>[DTMF 5]</c>, so the model can act on it.</summary>
    private static InboundMessage DtmfItem(string digit)
    {
        var json = Encoding.UTF8.GetBytes(
            """{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"""
            + JsonSerializer.Serialize("[DTMF " + digit + "]") + "}]}}");
        var buffer = ArrayPool<byte>.Shared.Rent(json.Length);
        json.CopyTo(buffer, 0);
        return InboundMessage.Data(WebSocketMessageType.Text, buffer, json.Length);
    }
}
