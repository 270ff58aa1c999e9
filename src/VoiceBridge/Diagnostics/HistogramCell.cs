namespace VoiceBridge.Diagnostics;

/// <summary>
/// Per-bucket counts (not cumulative, so one increment per measurement) and the sum. Cumulated, with the
/// count taken as the <c>+Inf</c> bucket, only at scrape time, so <c>+Inf</c> always equals <c>_count</c>.
/// </summary>
internal sealed class HistogramCell
{
    private readonly double[] _bounds;
    private readonly long[] _counts;
    private double _sum;

    public HistogramCell(double[] bounds)
    {
        _bounds = bounds;
        _counts = new long[bounds.Length + 1];
    }

    public void Record(double value)
    {
        if (double.IsNaN(value))
        {
            return;
        }

        var bounds = _bounds;
        var i = 0;
        while (i < bounds.Length && value > bounds[i])
        {
            i++;
        }

        Interlocked.Increment(ref _counts[i]);
        AtomicDouble.Add(ref _sum, value);
    }

    public HistogramValue Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            cumulative[i] = running;
        }

        return new HistogramValue(_bounds, cumulative, Volatile.Read(ref _sum));
    }
}
