using System.Buffers;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;

namespace VoiceBridge.WebSockets;

/// <summary>
/// Reads one whole message: waits with a zero-byte receive (an idle socket holds no buffer), then
/// assembles fragments into pooled memory, growing up to the cap. Exceptions (peer gone, abort,
/// cancellation) propagate to the caller's loop, which turns them into a session outcome.
/// </summary>
internal static class MessageReader
{
    /// <summary>The first buffer for a message whose size is not known yet; it doubles as needed, up to the cap.</summary>
    public const int DefaultInitialBufferSize = 8 * 1024;

    public static ValueTask<InboundMessage> ReadAsync(WebSocket socket, int maxBytes, CancellationToken cancellationToken) =>
        ReadAsync(socket, maxBytes, DefaultInitialBufferSize, cancellationToken);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<InboundMessage> ReadAsync(WebSocket socket, int maxBytes, int initialBufferSize, CancellationToken cancellationToken)
    {
        var first = await WaitAsync(socket, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(socket, first, maxBytes, initialBufferSize, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The zero-byte receive: completes when a message (or a close) has begun, holding no buffer. A receive loop awaits
    /// it itself, then <see cref="ReadAsync(WebSocket, ValueWebSocketReceiveResult, int, int, CancellationToken)"/>: an idle
    /// socket then keeps no reader state machine alive, only the loop's own (the heap census in bench/README.md).
    /// </summary>
    public static ValueTask<ValueWebSocketReceiveResult> WaitAsync(WebSocket socket, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);

    /// <summary>The rest of one message, after <see cref="WaitAsync"/> returned <paramref name="first"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<InboundMessage> ReadAsync(WebSocket socket, ValueWebSocketReceiveResult first, int maxBytes, int initialBufferSize, CancellationToken cancellationToken)
    {
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return InboundMessage.Closed(socket.CloseStatus, socket.CloseStatusDescription);
        }

        var type = first.MessageType;
        var buffer = ArrayPool<byte>.Shared.Rent(first.EndOfMessage ? 1 : Math.Min(initialBufferSize, maxBytes + 1));
        if (first.EndOfMessage)
        {
            // An empty message: the header said FIN with no payload.
            return InboundMessage.Data(type, buffer, 0);
        }

        // One byte beyond the cap lets an over-long message be told from one of exactly maxBytes.
        var limit = maxBytes + 1;
        var count = 0;
        try
        {
            while (true)
            {
                var capacity = Math.Min(buffer.Length, limit);
                if (count == capacity)
                {
                    if (capacity == limit)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                        return InboundMessage.Oversized();
                    }

                    buffer = Grow(buffer, count, limit);
                    capacity = Math.Min(buffer.Length, limit);
                }

                var result = await socket.ReceiveAsync(buffer.AsMemory(count, capacity - count), cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    return InboundMessage.Closed(socket.CloseStatus, socket.CloseStatusDescription);
                }

                count += result.Count;
                if (result.EndOfMessage)
                {
                    if (count > maxBytes)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = null;
                        return InboundMessage.Oversized();
                    }

                    var message = InboundMessage.Data(type, buffer, count);
                    buffer = null;
                    return message;
                }
            }
        }
        finally
        {
            if (buffer is not null)
            {
                // An exception: the buffer never left this method.
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static byte[] Grow(byte[] buffer, int count, int limit)
    {
        var size = (int)Math.Min((long)buffer.Length * 2, limit);
        var larger = ArrayPool<byte>.Shared.Rent(size);
        buffer.AsSpan(0, count).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }
}
