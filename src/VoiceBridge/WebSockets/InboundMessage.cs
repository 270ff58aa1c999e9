using System.Buffers;
using System.Net.WebSockets;

namespace VoiceBridge.WebSockets;

internal enum InboundKind : byte
{
    Text,
    Binary,

    /// <summary>The peer sent a close frame.</summary>
    Close,

    /// <summary>The message grew past the size cap; what was read is discarded, the rest is still on the wire.</summary>
    TooBig,
}

/// <summary>A whole (reassembled) message in a rented buffer, or how reading ended.</summary>
internal readonly struct InboundMessage
{
    private InboundMessage(InboundKind kind, byte[]? buffer, int length, WebSocketCloseStatus? closeStatus, string? closeDescription)
    {
        Kind = kind;
        Buffer = buffer;
        Length = length;
        CloseStatus = closeStatus;
        CloseDescription = closeDescription;
    }

    public InboundKind Kind { get; }

    /// <summary>An <see cref="ArrayPool{T}.Shared"/> array owned by whoever holds this message.</summary>
    public byte[]? Buffer { get; }

    public int Length { get; }

    public WebSocketCloseStatus? CloseStatus { get; }

    public string? CloseDescription { get; }

    public ReadOnlySpan<byte> Span => new(Buffer, 0, Length);

    public static InboundMessage Data(WebSocketMessageType type, byte[] buffer, int length) =>
        new(type == WebSocketMessageType.Text ? InboundKind.Text : InboundKind.Binary, buffer, length, null, null);

    public static InboundMessage Closed(WebSocketCloseStatus? status, string? description) =>
        new(InboundKind.Close, null, 0, status, description);

    public static InboundMessage Oversized() => new(InboundKind.TooBig, null, 0, null, null);

    public void Release()
    {
        if (Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
