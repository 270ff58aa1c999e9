using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>A message the fake upstream received from the bridge.</summary>
public sealed record RecordedFrame(WebSocketMessageType Type, byte[] Payload)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// Wraps the fake upstream's server socket: records every message the bridge sends, serialises sends so a test
/// can inject events next to the simulator's own, and can go slow on demand. (A network that goes dark is the
/// <see cref="TcpFreezeProxy"/>'s job.) Fault injection lives here, never in the shipped simulator.
/// </summary>
public sealed class FaultInjectingWebSocket : WebSocket
{
    private readonly WebSocket _inner;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly MemoryStream _partial = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _frameArrived = new(0);

    public FaultInjectingWebSocket(WebSocket inner)
    {
        _inner = inner;
    }

    public ConcurrentQueue<RecordedFrame> Received { get; } = new();

    public TimeSpan SendDelay { get; set; }

    /// <summary>The close status the bridge sent, once it has.</summary>
    public WebSocketCloseStatus? ReceivedCloseStatus { get; private set; }

    public Task Closed => _closed.Task;

    public override WebSocketCloseStatus? CloseStatus => _inner.CloseStatus;

    public override string? CloseStatusDescription => _inner.CloseStatusDescription;

    public override WebSocketState State => _inner.State;

    public override string? SubProtocol => _inner.SubProtocol;

    /// <summary>Waits until at least <paramref name="count"/> messages have been received from the bridge.</summary>
    public async Task WaitForFramesAsync(int count, CancellationToken cancellationToken)
    {
        while (Received.Count < count)
        {
            await _frameArrived.WaitAsync(cancellationToken);
        }
    }

    public async Task SendTextAsync(string json, CancellationToken cancellationToken)
    {
        await SendAsync(System.Text.Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancellationToken);
    }

    public override void Abort() => _inner.Abort();

    public override async Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _inner.CloseAsync(closeStatus, statusDescription, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public override async Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_inner.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public override void Dispose()
    {
        _inner.Dispose();
        _closed.TrySetResult();
    }

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
        if (result.MessageType == WebSocketMessageType.Close)
        {
            ReceivedCloseStatus = _inner.CloseStatus;
            _closed.TrySetResult();
            return result;
        }

        _partial.Write(buffer.Span[..result.Count]);
        if (result.EndOfMessage)
        {
            Received.Enqueue(new RecordedFrame(result.MessageType, _partial.ToArray()));
            _partial.SetLength(0);
            _frameArrived.Release();
        }

        return result;
    }

    public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
        SendAsync(buffer.AsMemory(), messageType, endOfMessage, cancellationToken).AsTask();

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken)
    {
        if (SendDelay > TimeSpan.Zero)
        {
            await Task.Delay(SendDelay, cancellationToken);
        }

        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }
}
