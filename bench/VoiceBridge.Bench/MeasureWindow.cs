using System.Diagnostics;

namespace VoiceBridge.Bench;

/// <summary>
/// The measured window, in <see cref="Stopwatch"/> ticks: frames sent inside it are timed. Its start is set once the
/// warm-up is over, which may be later than planned (the bridge's JIT has not settled), so the receive loops read it
/// as it is now rather than a copy taken when they started.
/// </summary>
internal sealed class MeasureWindow
{
    private long _start = long.MaxValue;
    private long _end = long.MaxValue;

    public long Start => Volatile.Read(ref _start);

    public long End => Volatile.Read(ref _end);

    public void Open(long start, TimeSpan length)
    {
        Volatile.Write(ref _end, start + (long)(length.TotalSeconds * Stopwatch.Frequency));
        Volatile.Write(ref _start, start);
    }

    public bool Contains(long timestamp) => timestamp >= Start && timestamp < End;
}
