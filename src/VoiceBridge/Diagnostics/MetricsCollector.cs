using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Aggregates this host's <see cref="BridgeMetrics"/> meter in process with a <see cref="MeterListener"/>, for
/// <c>GET /metrics</c>. Only the meter instance of this host is subscribed (by reference, not by name), so two
/// hosts in one process (tests) never see each other's sessions. A measurement goes straight to its
/// instrument's aggregate (the listener's per-instrument state), then to a per-series cell updated with
/// <see cref="Interlocked"/>: no lock on the measurement path. Scrapes take a lock among themselves only.
/// </summary>
internal sealed class MetricsCollector : IHostedService, IDisposable
{
    private readonly BridgeMetrics _metrics;
    private readonly bool _enabled;
    private readonly MeterListener _listener;
    private readonly Lock _scrapeLock = new();
    private readonly List<InstrumentAggregate> _aggregates = [];
    private bool _started;

    public MetricsCollector(BridgeMetrics metrics, IOptions<TelemetryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;
        _enabled = options.Value.Metrics != MetricsAccess.Off;
        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentAggregate)state!).Record((double)value, tags));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Subscribes (idempotent); does nothing when metrics are <c>Off</c>.</summary>
    public void Start()
    {
        lock (_scrapeLock)
        {
            if (_started || !_enabled)
            {
                return;
            }

            _started = true;
        }

        _listener.Start();
        _metrics.PublishKnownSeries();
    }

    /// <summary>Reads the observable instruments and returns every family, in a stable order.</summary>
    public IReadOnlyList<MetricFamily> Collect()
    {
        lock (_scrapeLock)
        {
            foreach (var aggregate in _aggregates)
            {
                if (aggregate.IsObservable)
                {
                    aggregate.BeginObservation();
                }
            }

            _listener.RecordObservableInstruments();
            var families = new List<MetricFamily>(_aggregates.Count);
            foreach (var aggregate in _aggregates)
            {
                families.Add(aggregate.Snapshot());
            }

            families.Sort(static (x, y) => string.CompareOrdinal(x.Name, y.Name));
            return families;
        }
    }

    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter, _metrics.Meter))
        {
            return;
        }

        var aggregate = InstrumentAggregate.Create(instrument);
        if (aggregate is null)
        {
            return;
        }

        lock (_scrapeLock)
        {
            _aggregates.Add(aggregate);
        }

        listener.EnableMeasurementEvents(instrument, aggregate);
    }
}
