using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>
/// The simulator's server socket with both directions recorded as whole messages, so a test can compare what the
/// simulator sent with what the browser received, byte for byte. It only records; it never changes behaviour.
/// </summary>
internal sealed class RecordingWebSocket : WebSocket
{
    private readonly WebSocket _inner;
    private readonly MemoryStream _receiving = new();
    private readonly MemoryStream _sending = new();

    public RecordingWebSocket(WebSocket inner)
    {
        _inner = inner;
    }

    /// <summary>Whole messages the bridge sent to the simulator.</summary>
    public ConcurrentQueue<byte[]> Received { get; } = new();

    /// <summary>Whole text messages the simulator sent to the bridge.</summary>
    public ConcurrentQueue<byte[]> Sent { get; } = new();

    public override WebSocketCloseStatus? CloseStatus => _inner.CloseStatus;

    public override string? CloseStatusDescription => _inner.CloseStatusDescription;

    public override WebSocketState State => _inner.State;

    public override string? SubProtocol => _inner.SubProtocol;

    public override void Abort() => _inner.Abort();

    public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        _inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

    public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
        _inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

    public override void Dispose() => _inner.Dispose();

    public override async Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await ReceiveAsync(buffer.AsMemory(), cancellationToken);
        return result.MessageType == WebSocketMessageType.Close
            ? new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage, _inner.CloseStatus, _inner.CloseStatusDescription)
            : new WebSocketReceiveResult(result.Count, result.MessageType, result.EndOfMessage);
    }

    public override async ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await _inner.ReceiveAsync(buffer, cancellationToken);
        if (result.MessageType != WebSocketMessageType.Close)
        {
            Record(_receiving, Received, buffer.Span[..result.Count], result.EndOfMessage);
        }

        return result;
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        // Recorded before the send so a browser that already has the message always finds it here.
        Record(_sending, Sent, buffer.Span, endOfMessage);
        await _inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
    }

    private static void Record(MemoryStream partial, ConcurrentQueue<byte[]> messages, ReadOnlySpan<byte> bytes, bool endOfMessage)
    {
        partial.Write(bytes);
        if (endOfMessage)
        {
            messages.Enqueue(partial.ToArray());
            partial.SetLength(0);
        }
    }
}
