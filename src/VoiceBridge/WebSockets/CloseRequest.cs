using System.Buffers;
using System.Net.WebSockets;

namespace VoiceBridge.WebSockets;

/// <summary>
/// How a send loop ends its socket: optionally one last text event (a rented error event), then a close
/// frame. <see cref="AbortOnly"/> means the peer is already gone and there is nothing to say.
/// </summary>
internal sealed class CloseRequest
{
    private byte[]? _finalEvent;

    public CloseRequest(WebSocketCloseStatus status, string? description, byte[]? rentedFinalEvent = null, int finalEventLength = 0)
    {
        Status = status;
        Description = description;
        _finalEvent = rentedFinalEvent;
        FinalEventLength = finalEventLength;
    }

    private CloseRequest(bool abortOnly)
    {
        AbortOnly = abortOnly;
        AlreadyClosing = !abortOnly;
    }

    /// <summary>The peer is gone: abort the socket.</summary>
    public static CloseRequest Abort { get; } = new(abortOnly: true);

    /// <summary>
    /// The WebSocket layer already sent its own close (a protocol error such as invalid UTF-8 gets 1007): send
    /// nothing more and do not abort, so that close frame still reaches the peer.
    /// </summary>
    public static CloseRequest AlreadySent { get; } = new(abortOnly: false);

    public bool AlreadyClosing { get; }

    public WebSocketCloseStatus Status { get; }

    public string? Description { get; }

    public bool AbortOnly { get; }

    public int FinalEventLength { get; }

    public ReadOnlyMemory<byte> FinalEvent => _finalEvent is null ? ReadOnlyMemory<byte>.Empty : new(_finalEvent, 0, FinalEventLength);

    public void Release()
    {
        var buffer = Interlocked.Exchange(ref _finalEvent, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
