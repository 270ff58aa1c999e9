using System.Buffers;

namespace VoiceBridge.WebSockets;

internal enum FrameKind : byte
{
    Text,
    Binary,

    /// <summary>Text in [0, Split), then binary in [Split, Length): an audio delta event and its PCM, always adjacent.</summary>
    TextThenBinary,

    /// <summary>Nothing to send: wakes a send loop waiting for work so that it notices its leg was retired.</summary>
    Wake,
}

/// <summary>What the send loop needs to know about an upstream event without reading it again.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,

    /// <summary>An audio delta (JSON, or JSON + PCM in binary mode).</summary>
    AudioDelta = 1,

    /// <summary><c>response.done</c>: the end of a response.</summary>
    ResponseDone = 2,

    /// <summary><c>response.created</c>: the start of a response.</summary>
    ResponseCreated = 4,
}

/// <summary>
/// One message on its way to a socket. A value type, so queueing costs no allocation; the rented
/// buffer has exactly one owner at a time and the send loop (or whoever drains the queue) returns it.
/// </summary>
internal readonly struct OutboundFrame
{
    private OutboundFrame(FrameKind kind, byte[]? buffer, int length, int split, bool pooled, long sampleStart = 0, FrameFlags flags = FrameFlags.None, int epoch = 0)
    {
        Kind = kind;
        Buffer = buffer;
        Length = length;
        Split = split;
        Pooled = pooled;
        SampleStart = sampleStart;
        Flags = flags;
        Epoch = epoch;
    }

    public FrameKind Kind { get; }

    public byte[]? Buffer { get; }

    public int Length { get; }

    public int Split { get; }

    public bool Pooled { get; }

    /// <summary>When this frame is one of the sampled few, the timestamp its message was read complete; else 0.</summary>
    public long SampleStart { get; }

    public FrameFlags Flags { get; }

    /// <summary>The session's interrupt count when this frame was queued (frames queued before an interrupt belong to the interrupted response).</summary>
    public int Epoch { get; }

    /// <summary>The same frame, carrying a forward-latency sample start.</summary>
    public OutboundFrame WithSample(long sampleStart) => new(Kind, Buffer, Length, Split, Pooled, sampleStart, Flags, Epoch);

    /// <summary>The same frame, marked with what it is and when it was queued.</summary>
    public OutboundFrame WithFlags(FrameFlags flags, int epoch) => new(Kind, Buffer, Length, Split, Pooled, SampleStart, flags, epoch);

    public ReadOnlyMemory<byte> Payload => new(Buffer, 0, Length);

    /// <summary>A frame that owns <paramref name="rented"/>, an <see cref="ArrayPool{T}.Shared"/> array.</summary>
    public static OutboundFrame Rented(FrameKind kind, byte[] rented, int length, int split = 0) => new(kind, rented, length, split, pooled: true);

    /// <summary>The no-op frame a retired leg's send loop is woken with; any send loop skips it.</summary>
    public static OutboundFrame Wake => new(FrameKind.Wake, null, 0, 0, pooled: false);

    /// <summary>A frame over a shared, immutable array that must never be returned to the pool.</summary>
    public static OutboundFrame Shared(FrameKind kind, byte[] buffer) => new(kind, buffer, buffer.Length, 0, pooled: false);

    public void Release()
    {
        if (Pooled && Buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(Buffer);
        }
    }
}
