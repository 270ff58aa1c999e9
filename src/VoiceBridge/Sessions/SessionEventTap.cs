using System.Threading.Channels;

namespace VoiceBridge.Sessions;

/// <summary>
/// Copies a session's server events (not its audio) to whoever watches it, for dashboards and supervisors.
/// Costs nothing while nobody watches. A watcher that reads too slowly loses events — counted, and reported
/// to it — and never slows the call: publishing only ever tries to write.
/// </summary>
internal sealed class SessionEventTap
{
    private EventSubscription[] _subscribers = [];
    private int _completed;

    public bool HasSubscribers => Volatile.Read(ref _subscribers).Length > 0;

    public EventSubscription Subscribe(int capacity)
    {
        var subscription = new EventSubscription(this, capacity);
        while (true)
        {
            var current = Volatile.Read(ref _subscribers);
            if (Interlocked.CompareExchange(ref _subscribers, [.. current, subscription], current) == current)
            {
                break;
            }
        }

        // A session that already ended has nothing more to say.
        if (Volatile.Read(ref _completed) != 0)
        {
            subscription.Complete();
        }

        return subscription;
    }

    /// <summary>Offers one event to every watcher; copies it once, only when someone watches.</summary>
    public void Publish(ReadOnlySpan<byte> serverEvent)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
        {
            return;
        }

        var copy = serverEvent.ToArray();
        foreach (var subscriber in subscribers)
        {
            subscriber.Offer(copy);
        }
    }

    /// <summary>The session ended: every watcher's stream ends after what it already has.</summary>
    public void Complete()
    {
        Volatile.Write(ref _completed, 1);
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            subscriber.Complete();
        }
    }

    internal void Remove(EventSubscription subscription)
    {
        while (true)
        {
            var current = Volatile.Read(ref _subscribers);
            var remaining = current.Where(s => s != subscription).ToArray();
            if (Interlocked.CompareExchange(ref _subscribers, remaining, current) == current)
            {
                return;
            }
        }
    }
}

/// <summary>One watcher of a session's events.</summary>
internal sealed class EventSubscription : IDisposable
{
    private readonly SessionEventTap _tap;
    private readonly Channel<byte[]> _events;
    private long _dropped;

    public EventSubscription(SessionEventTap tap, int capacity)
    {
        _tap = tap;
        _events = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public ChannelReader<byte[]> Events => _events.Reader;

    /// <summary>Events lost since the last call because this watcher was too slow.</summary>
    public long TakeDropped() => Interlocked.Exchange(ref _dropped, 0);

    public void Offer(byte[] serverEvent)
    {
        if (!_events.Writer.TryWrite(serverEvent))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public void Complete() => _events.Writer.TryComplete();

    public void Dispose()
    {
        _tap.Remove(this);
        Complete();
    }
}
