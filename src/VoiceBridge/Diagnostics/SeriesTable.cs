using System.Collections.Concurrent;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The series of one instrument: a cell per tag set, created on first use and then updated lock-free. The
/// number of series is capped so that a caller passing an unbounded value as a tag cannot grow memory
/// without limit: beyond the cap, measurements land in one <c>otel_metric_overflow="true"</c> series.
/// In front of the dictionary sits a small copy-on-write list of the tag sets seen, compared by reference:
/// the bridge passes the same string instances every time, so the usual lookup is a few pointer compares
/// instead of hashing and comparing strings.
/// </summary>
internal sealed class SeriesTable<TCell>
    where TCell : class
{
    public const int MaxSeries = 2000;

    /// <summary>Tag sets remembered by reference; a few per instrument is the bridge's whole range.</summary>
    private const int MaxRecent = 16;

    private static readonly SeriesKey OverflowKey = SeriesKey.From([new("otel_metric_overflow", "true")]);

    private readonly ConcurrentDictionary<SeriesKey, TCell> _cells = new();
    private readonly Func<SeriesKey, TCell> _create;
    private RecentTags[] _recent = [];
    private int _count;

    public SeriesTable(Func<TCell> create)
    {
        _create = _ => create();
    }

    public TCell Get(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var recent = Volatile.Read(ref _recent);
        for (var i = 0; i < recent.Length; i++)
        {
            if (recent[i].Matches(tags))
            {
                return recent[i].Cell;
            }
        }

        return GetSlow(tags, recent);
    }

    public void Clear()
    {
        Volatile.Write(ref _recent, []);
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

    private TCell GetSlow(ReadOnlySpan<KeyValuePair<string, object?>> tags, RecentTags[] recent)
    {
        var key = SeriesKey.From(tags);
        var cell = _cells.TryGetValue(key, out var existing) ? existing : Add(key);
        if (recent.Length < MaxRecent && tags.Length <= SeriesKey.InlineTags)
        {
            // Losing a race here only means one more trip through the dictionary later.
            RecentTags[] grown = [.. recent, new RecentTags(tags, cell)];
            Interlocked.CompareExchange(ref _recent, grown, recent);
        }

        return cell;
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

    /// <summary>A tag set exactly as one caller passed it (same order, same instances) and its series.</summary>
    private sealed class RecentTags
    {
        private readonly int _count;
        private readonly string? _key0;
        private readonly object? _value0;
        private readonly string? _key1;
        private readonly object? _value1;
        private readonly string? _key2;
        private readonly object? _value2;

        public RecentTags(ReadOnlySpan<KeyValuePair<string, object?>> tags, TCell cell)
        {
            _count = tags.Length;
            (_key0, _value0) = tags.Length > 0 ? (tags[0].Key, tags[0].Value) : (null, null);
            (_key1, _value1) = tags.Length > 1 ? (tags[1].Key, tags[1].Value) : (null, null);
            (_key2, _value2) = tags.Length > 2 ? (tags[2].Key, tags[2].Value) : (null, null);
            Cell = cell;
        }

        public TCell Cell { get; }

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            tags.Length == _count
            && (_count < 1 || (ReferenceEquals(tags[0].Key, _key0) && ReferenceEquals(tags[0].Value, _value0)))
            && (_count < 2 || (ReferenceEquals(tags[1].Key, _key1) && ReferenceEquals(tags[1].Value, _value1)))
            && (_count < 3 || (ReferenceEquals(tags[2].Key, _key2) && ReferenceEquals(tags[2].Value, _value2)));
    }
}
