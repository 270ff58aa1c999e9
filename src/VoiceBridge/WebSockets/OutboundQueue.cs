using System.Threading.Channels;

namespace VoiceBridge.WebSockets;

/// <summary>
/// The bounded queue in front of one socket's send loop, and the close that ends it. A close "after drain"
/// is delivered after everything already queued (the final audio reaches the peer); a close "now" overtakes
/// queued frames (the send loop checks for it before each frame). Either completes the channel, which also
/// wakes a send loop that is waiting for work. The first close request wins.
/// </summary>
internal sealed class OutboundQueue
{
    private readonly Channel<OutboundFrame> _channel;
    private CloseRequest? _close;
    private volatile bool _closeIsUrgent;

    public OutboundQueue(int capacity)
    {
        _channel = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            // Not inline: a send loop run on the writer's thread (the other socket's receive thread) saves a thread-pool hop
            // but makes every session's sends queue behind each other on that thread, which costs more in tail latency at
            // 200 sessions than it saves (measured: bench/README.md, "inline send loops").
            AllowSynchronousContinuations = false,
        });
    }

    public ChannelReader<OutboundFrame> Reader => _channel.Reader;

    public int Count => _channel.Reader.Count;

    /// <summary>True once a close has been requested: nothing more will be accepted.</summary>
    public bool IsClosing => Volatile.Read(ref _close) is not null;

    /// <summary>A close that must overtake queued frames, if one was requested.</summary>
    public CloseRequest? UrgentClose => _closeIsUrgent ? Volatile.Read(ref _close) : null;

    /// <summary>The close to perform once the queue is drained (or overtaken).</summary>
    public CloseRequest? Close => Volatile.Read(ref _close);

    public bool TryEnqueue(OutboundFrame frame) => _channel.Writer.TryWrite(frame);

    /// <summary>Waits for room; throws <see cref="ChannelClosedException"/> once the queue is closing.</summary>
    public ValueTask EnqueueAsync(OutboundFrame frame, CancellationToken cancellationToken) =>
        _channel.Writer.WriteAsync(frame, cancellationToken);

    /// <summary>
    /// Wakes a send loop waiting for work (its leg was retired, and a new leg's loop takes over this queue). A full queue
    /// needs no wake: its loop is not waiting. The wake frame itself is skipped by every send loop.
    /// </summary>
    public void Wake() => _channel.Writer.TryWrite(OutboundFrame.Wake);

    public bool CloseNow(CloseRequest request) => RequestClose(request, urgent: true);

    public bool CloseAfterDrain(CloseRequest request) => RequestClose(request, urgent: false);

    /// <summary>Returns every queued buffer to the pool; called once nothing sends from this queue any more.</summary>
    public void DrainAndRelease()
    {
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var frame))
        {
            frame.Release();
        }

        Volatile.Read(ref _close)?.Release();
    }

    private bool RequestClose(CloseRequest request, bool urgent)
    {
        if (Interlocked.CompareExchange(ref _close, request, null) is not null)
        {
            request.Release();
            return false;
        }

        _closeIsUrgent = urgent;
        _channel.Writer.TryComplete();
        return true;
    }
}
