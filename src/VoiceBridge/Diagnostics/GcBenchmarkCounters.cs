using Microsoft.Extensions.Options;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Benchmark-only GC figures for <c>/metrics</c> (<c>Telemetry:BenchmarkCounters</c>): bytes allocated since start
/// (precise), and the longest pause of the collections seen since the previous scrape. The runtime keeps only the
/// last collection's pauses, so a timer samples <see cref="GC.GetGCMemoryInfo(GCKind)"/> every 50 ms; collections
/// that fall between two samples are counted in <c>dotnet_gc_pause_unsampled_total</c> rather than guessed.
/// Off, the service returns at once and <see cref="Collect"/> adds nothing.
/// </summary>
internal sealed class GcBenchmarkCounters : BackgroundService
{
    private static readonly TimeSpan SamplePeriod = TimeSpan.FromMilliseconds(50);

    private readonly bool _enabled;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private long _lastIndex;
    private TimeSpan _maxPauseSinceScrape;
    private long _unsampled;
    private int _lastCollectionCount;

    public GcBenchmarkCounters(IOptions<TelemetryOptions> options, TimeProvider timeProvider)
    {
        _enabled = options.Value.BenchmarkCounters;
        _timeProvider = timeProvider;
    }

    public IReadOnlyList<MetricFamily> Collect()
    {
        if (!_enabled)
        {
            return [];
        }

        Sample();
        TimeSpan maxPause;
        long unsampled;
        lock (_lock)
        {
            maxPause = _maxPauseSinceScrape;
            unsampled = _unsampled;
            _maxPauseSinceScrape = TimeSpan.Zero;
        }

        return
        [
            Single("dotnet_gc_allocated_bytes_total", "Bytes allocated on the managed heap since the process started (benchmark counters).", MetricType.Counter, GC.GetTotalAllocatedBytes(precise: true)),
            Single("dotnet_gc_pause_max_seconds", "Longest pause of the collections sampled since the previous scrape (benchmark counters).", MetricType.Gauge, maxPause.TotalSeconds),
            Single("dotnet_gc_pause_unsampled_total", "Collections whose pause the 50 ms sampler missed (benchmark counters).", MetricType.Counter, unsampled),
            Single("dotnet_threadpool_work_items_total", "Thread-pool work items completed since the process started (benchmark counters).", MetricType.Counter, ThreadPool.CompletedWorkItemCount),
        ];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_enabled)
        {
            return;
        }

        _lastCollectionCount = GC.CollectionCount(0);
        _lastIndex = GC.GetGCMemoryInfo(GCKind.Any).Index;
        using var timer = new PeriodicTimer(SamplePeriod, _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Sample();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    private void Sample()
    {
        // GetGCMemoryInfo allocates its answer: ask only when a collection has happened since the last sample.
        var collections = GC.CollectionCount(0);
        if (collections == Volatile.Read(ref _lastCollectionCount))
        {
            return;
        }

        Volatile.Write(ref _lastCollectionCount, collections);
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        lock (_lock)
        {
            if (info.Index <= _lastIndex)
            {
                return;
            }

            _unsampled += info.Index - _lastIndex - 1;
            _lastIndex = info.Index;
            foreach (var pause in info.PauseDurations)
            {
                if (pause > _maxPauseSinceScrape)
                {
                    _maxPauseSinceScrape = pause;
                }
            }
        }
    }

    private static MetricFamily Single(string name, string help, MetricType type, double value) =>
        new(name, help, type, [new MetricSample(MetricSample.NoLabels, value)]);
}
