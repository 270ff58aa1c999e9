using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// What a detached browser has not received yet, in order and already in its wire form (audio split for
/// <c>?audio=binary</c>), bounded by payload bytes rather than frames: a detached session's memory is known up front.
/// Owned by one party at a time (the keeper while detached, the resume while replaying, the release at the end).
/// </summary>
internal sealed class ResumeBuffer
{
    private static ReadOnlySpan<byte> BridgeEventPrefix => """{"type":"bridge."""u8;

    private readonly Queue<OutboundFrame> _frames = new();
    private readonly long _limit;

    public ResumeBuffer(long limitBytes)
    {
        _limit = limitBytes;
    }

    /// <summary>Payload bytes kept.</summary>
    public long Bytes { get; private set; }

    public int Count => _frames.Count;

    /// <summary>Kept events other than the bridge's own (an audio delta and its PCM count once).</summary>
    public int RealtimeEvents { get; private set; }

    /// <summary>Keeps the frame, or returns false (keeping nothing) when it would pass the limit.</summary>
    public bool TryAdd(OutboundFrame frame)
    {
        if (Bytes + frame.Length > _limit)
        {
            return false;
        }

        _frames.Enqueue(frame);
        Bytes += frame.Length;
        if (!IsBridgeEvent(frame))
        {
            RealtimeEvents++;
        }

        return true;
    }

    public bool TryPeek(out OutboundFrame frame) => _frames.TryPeek(out frame);

    /// <summary>The first frame was delivered: forget it and return its buffer.</summary>
    public void DropFirst()
    {
        var frame = _frames.Dequeue();
        Bytes -= frame.Length;
        if (!IsBridgeEvent(frame))
        {
            RealtimeEvents--;
        }

        frame.Release();
    }

    /// <summary>Returns every kept buffer to the pool.</summary>
    public void Release()
    {
        while (_frames.TryDequeue(out var frame))
        {
            frame.Release();
        }

        Bytes = 0;
        RealtimeEvents = 0;
    }

    /// <summary>The bridge writes its own events with <c>type</c> first (see <see cref="BridgeEvents.Rent"/>).</summary>
    private static bool IsBridgeEvent(in OutboundFrame frame) => frame.Kind == FrameKind.Text && frame.Payload.Span.StartsWith(BridgeEventPrefix);
}
