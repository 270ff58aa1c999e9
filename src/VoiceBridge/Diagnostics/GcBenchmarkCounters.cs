using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Benchmark-only GC figures for <c>/metrics</c> (<c>Telemetry:BenchmarkCounters</c>), observable instruments on their
/// own meter: bytes allocated since start (precise), and the longest pause of the collections seen since the previous scrape. The runtime keeps only the
/// last collection's pauses, so a timer samples <see cref="GC.GetGCMemoryInfo(GCKind)"/> every 50 ms; collections
/// that fall between two samples are counted in <c>dotnet_gc_pause_unsampled_total</c> rather than guessed.
/// Off, the service returns at once and no meter exists.
/// </summary>
internal sealed class GcBenchmarkCounters : BackgroundService
{
    /// <summary>The benchmark's meter; created only when the counters are on, so that off, nothing of it exists.</summary>
    public const string MeterName = "VoiceBridge.Benchmark";

    private static readonly TimeSpan SamplePeriod = TimeSpan.FromMilliseconds(50);

    private readonly bool _enabled;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private long _lastIndex;
    private TimeSpan _maxPauseSinceScrape;
    private long _unsampled;
    private int _lastCollectionCount;

    public GcBenchmarkCounters(IOptions<TelemetryOptions> options, TimeProvider timeProvider, IMeterFactory meterFactory)
    {
        _enabled = options.Value.BenchmarkCounters;
        _timeProvider = timeProvider;
        if (_enabled)
        {
            // The factory owns the meter and disposes it with the host.
            var meter = meterFactory.Create(new MeterOptions(MeterName));
            meter.CreateObservableCounter("dotnet.gc.allocated", static () => GC.GetTotalAllocatedBytes(precise: true), "By", "Bytes allocated on the managed heap since the process started (benchmark counters).");
            meter.CreateObservableGauge("dotnet.gc.pause.max", () => TakeMaxPause().TotalSeconds, "s", "Longest pause of the collections sampled since the previous collection of the metrics (benchmark counters).");
            meter.CreateObservableCounter("dotnet.gc.pause.unsampled", () => Volatile.Read(ref _unsampled), "{collection}", "Collections whose pause the 50 ms sampler missed (benchmark counters).");
            meter.CreateObservableCounter("dotnet.threadpool.work_items", static () => ThreadPool.CompletedWorkItemCount, "{work_item}", "Thread-pool work items completed since the process started (benchmark counters).");
        }
    }

    /// <summary>The longest pause seen since the previous call, then starts over (one call per scrape).</summary>
    internal TimeSpan TakeMaxPause()
    {
        Sample();
        lock (_lock)
        {
            var maxPause = _maxPauseSinceScrape;
            _maxPauseSinceScrape = TimeSpan.Zero;
            return maxPause;
        }
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
}
