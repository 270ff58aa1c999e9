using System.Collections.Concurrent;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The series of one instrument: a cell per tag set, created on first use and then updated lock-free. The
/// number of series is capped so that a caller passing an unbounded value as a tag cannot grow memory
/// without limit: beyond the cap, measurements land in one <c>otel_metric_overflow="true"</c> series.
/// </summary>
internal sealed class SeriesTable<TCell>
    where TCell : class
{
    public const int MaxSeries = 2000;

    private static readonly SeriesKey OverflowKey = SeriesKey.From([new("otel_metric_overflow", "true")]);

    private readonly ConcurrentDictionary<SeriesKey, TCell> _cells = new();
    private readonly Func<SeriesKey, TCell> _create;
    private int _count;

    public SeriesTable(Func<TCell> create)
    {
        _create = _ => create();
    }

    public TCell Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = SeriesKey.From(tags);
        return _cells.TryGetValue(key, out var cell) ? cell : Add(key);
    }

    public void Clear()
    {
        _cells.Clear();
        Volatile.Write(ref _count, 0);
    }

    /// <summary>Every series, in a stable order (by labels) so that consecutive scrapes read alike.</summary>
    public List<(KeyValuePair<string, string>[] Labels, TCell Cell)> Snapshot()
    {
        var series = new List<(KeyValuePair<string, string>[] Labels, TCell Cell)>(_cells.Count);
        foreach (var (key, cell) in _cells)
        {
            series.Add((key.ToLabels(), cell));
        }

        series.Sort(static (x, y) => CompareLabels(x.Labels, y.Labels));
        return series;
    }

    private static int CompareLabels(KeyValuePair<string, string>[] x, KeyValuePair<string, string>[] y)
    {
        for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            var c = string.CompareOrdinal(x[i].Key, y[i].Key);
            if (c == 0)
            {
                c = string.CompareOrdinal(x[i].Value, y[i].Value);
            }

            if (c != 0)
            {
                return c;
            }
        }

        return x.Length.CompareTo(y.Length);
    }

    private TCell Add(SeriesKey key)
    {
        if (Volatile.Read(ref _count) >= MaxSeries)
        {
            key = OverflowKey;
        }

        var created = _create(key);
        var cell = _cells.GetOrAdd(key, created);
        if (ReferenceEquals(cell, created))
        {
            Interlocked.Increment(ref _count);
        }

        return cell;
    }
}
