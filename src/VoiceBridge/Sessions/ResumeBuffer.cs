using System.Buffers;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// What a detached browser has not received yet, in order and already in its wire form (audio split for
/// <c>?audio=binary</c>), bounded by the memory it holds rather than by frames: each event is charged its buffer
/// plus <see cref="FrameOverhead"/>, so a detached session's memory is known up front whatever the events' sizes.
/// Owned by one party at a time (the keeper while detached, the resume while replaying, the release at the end).
/// </summary>
internal sealed class ResumeBuffer
{
    /// <summary>The queue slot and bookkeeping of one kept event.</summary>
    public const int FrameOverhead = 64;

    /// <summary>
    /// A message is read into a buffer sized for the largest (8 KB for the service's); kept for long, a small event
    /// in a large buffer would hold far more than it says, so it moves into a buffer of its own size first.
    /// </summary>
    private const int CompactAbove = 1024;

    private static ReadOnlySpan<byte> BridgeEventPrefix => """{"type":"bridge."""u8;

    private readonly Queue<OutboundFrame> _frames = new();
    private readonly long _limit;

    public ResumeBuffer(long limitBytes)
    {
        _limit = limitBytes;
    }

    /// <summary>Memory held: the kept events' buffers plus <see cref="FrameOverhead"/> each.</summary>
    public long Bytes { get; private set; }

    public int Count => _frames.Count;

    /// <summary>Kept events other than the bridge's own (an audio delta and its PCM count once).</summary>
    public int RealtimeEvents { get; private set; }

    /// <summary>Keeps the frame, or returns false (keeping nothing) when it would pass the limit.</summary>
    public bool TryAdd(OutboundFrame frame)
    {
        var compact = frame.Pooled && frame.Buffer is { } rented && rented.Length > CompactAbove && rented.Length > 2 * frame.Length;

        // Decided before anything changes: a refused frame stays exactly as it was (the caller still owns it). The shared
        // pool hands out powers of two.
        var held = compact ? (long)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, frame.Length)) : frame.Buffer?.Length ?? frame.Length;
        if (Bytes + held + FrameOverhead > _limit)
        {
            return false;
        }

        if (compact && frame.Buffer is { } buffer)
        {
            var own = ArrayPool<byte>.Shared.Rent(frame.Length);
            buffer.AsSpan(0, frame.Length).CopyTo(own);
            var compacted = OutboundFrame.Rented(frame.Kind, own, frame.Length, frame.Split).WithFlags(frame.Flags, frame.Epoch);
            frame.Release();
            frame = compacted;
        }

        _frames.Enqueue(frame);
        Bytes += Cost(frame);
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
        Bytes -= Cost(frame);
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

    private static long Cost(in OutboundFrame frame) => (frame.Buffer?.Length ?? frame.Length) + FrameOverhead;

    /// <summary>The bridge writes its own events with <c>type</c> first (see <see cref="BridgeEvents.Rent"/>).</summary>
    private static bool IsBridgeEvent(in OutboundFrame frame) => frame.Kind == FrameKind.Text && frame.Payload.Span.StartsWith(BridgeEventPrefix);
}
