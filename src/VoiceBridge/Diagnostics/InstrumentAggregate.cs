using System.Diagnostics.Metrics;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// What the collector keeps for one instrument: its Prometheus name, help and type, and the series. It is the
/// listener's per-instrument state, so a measurement reaches its aggregate without any lookup by instrument.
/// </summary>
internal abstract class InstrumentAggregate
{
    /// <summary>Prometheus' default buckets, for a histogram that advises none.</summary>
    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    protected InstrumentAggregate(string name, string help, MetricType type)
    {
        Name = name;
        Help = help;
        Type = type;
    }

    public string Name { get; }

    public string Help { get; }

    public MetricType Type { get; }

    /// <summary>True for observable instruments: their series are re-read at every scrape.</summary>
    public virtual bool IsObservable => false;

    /// <summary>The aggregate for an instrument, or null for a kind the collector does not export.</summary>
    public static InstrumentAggregate? Create(Instrument instrument)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        var type = instrument.GetType();
        if (!type.IsGenericType)
        {
            return null;
        }

        var definition = type.GetGenericTypeDefinition();
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? instrument.Name : instrument.Description;
        if (definition == typeof(Counter<>))
        {
            return new SumAggregate(PrometheusNaming.MetricName(instrument, monotonic: true), help, MetricType.Counter);
        }

        if (definition == typeof(UpDownCounter<>))
        {
            return new SumAggregate(PrometheusNaming.MetricName(instrument, monotonic: false), help, MetricType.Gauge);
        }

        if (definition == typeof(Gauge<>))
        {
            return new LastValueAggregate(PrometheusNaming.MetricName(instrument, monotonic: false), help, MetricType.Gauge, observable: false);
        }

        if (definition == typeof(ObservableCounter<>))
        {
            return new LastValueAggregate(PrometheusNaming.MetricName(instrument, monotonic: true), help, MetricType.Counter, observable: true);
        }

        if (definition == typeof(ObservableUpDownCounter<>) || definition == typeof(ObservableGauge<>))
        {
            return new LastValueAggregate(PrometheusNaming.MetricName(instrument, monotonic: false), help, MetricType.Gauge, observable: true);
        }

        if (definition == typeof(Histogram<>))
        {
            return new HistogramAggregate(PrometheusNaming.MetricName(instrument, monotonic: false), help, BucketsOf(instrument));
        }

        return null;
    }

    public abstract void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);

    /// <summary>Forgets the previous observation; called before observable instruments are read again.</summary>
    public virtual void BeginObservation()
    {
    }

    public abstract MetricFamily Snapshot();

    private static double[] BucketsOf(Instrument instrument)
    {
        IEnumerable<double>? advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b),
            _ => null,
        };

        if (advised is null)
        {
            return DefaultBuckets;
        }

        // Prometheus needs strictly increasing, finite bounds; +Inf is always added by the writer.
        return advised.Where(double.IsFinite).Distinct().Order().ToArray();
    }

    private sealed class SumAggregate(string name, string help, MetricType type) : InstrumentAggregate(name, help, type)
    {
        private readonly SeriesTable<SumCell> _series = new(static () => new SumCell());

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => _series.Get(tags).Add(value);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => _series.Get(tags).Add(value);

        public override MetricFamily Snapshot() =>
            new(Name, Help, Type, _series.Snapshot().ConvertAll(s => new MetricSample(s.Labels, s.Cell.Value)));
    }

    private sealed class LastValueAggregate(string name, string help, MetricType type, bool observable) : InstrumentAggregate(name, help, type)
    {
        private readonly SeriesTable<LastValueCell> _series = new(static () => new LastValueCell());

        public override bool IsObservable => observable;

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => _series.Get(tags).Set(value);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => _series.Get(tags).Set(value);

        public override void BeginObservation()
        {
            if (observable)
            {
                _series.Clear();
            }
        }

        public override MetricFamily Snapshot() =>
            new(Name, Help, Type, _series.Snapshot().ConvertAll(s => new MetricSample(s.Labels, s.Cell.Value)));
    }

    private sealed class HistogramAggregate : InstrumentAggregate
    {
        private readonly SeriesTable<HistogramCell> _series;

        public HistogramAggregate(string name, string help, double[] bounds)
            : base(name, help, MetricType.Histogram)
        {
            _series = new(() => new HistogramCell(bounds));
        }

        public override void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => _series.Get(tags).Record(value);

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => _series.Get(tags).Record(value);

        public override MetricFamily Snapshot() =>
            new(Name, Help, Type, _series.Snapshot().ConvertAll(s =>
            {
                var histogram = s.Cell.Snapshot();
                return new MetricSample(s.Labels, histogram.Count, histogram);
            }));
    }
}
