using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace VoiceBridge.Tests.Sessions;

/// <summary>
/// Counts the <see cref="System.Buffers.ArrayPool{T}.Shared"/> arrays of one size bucket that are rented and not yet
/// returned, from the runtime's own ArrayPool events: a leak shows as an array that never comes back. Pick a bucket no
/// other test uses (the size is rounded up to a power of two by the pool).
/// </summary>
internal sealed class ArrayPoolProbe : EventListener
{
    private readonly ConcurrentDictionary<int, byte> _outstanding = new();
    private int _bucket;

    public ArrayPoolProbe(int size)
    {
        Volatile.Write(ref _bucket, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)size));
    }

    public int Outstanding => _outstanding.Count;

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "System.Buffers.ArrayPoolEventSource")
        {
            EnableEvents(eventSource, EventLevel.Verbose);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        var bucket = Volatile.Read(ref _bucket);
        if (bucket == 0 || eventData.Payload is not { Count: >= 2 } payload || payload[1] is not int size || size != bucket || payload[0] is not int id)
        {
            return;
        }

        if (eventData.EventName == "BufferRented")
        {
            _outstanding.TryAdd(id, 0);
        }
        else if (eventData.EventName == "BufferReturned")
        {
            _outstanding.TryRemove(id, out _);
        }
    }
}
