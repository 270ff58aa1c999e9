using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The six process and runtime series the README documents, under the names Prometheus dashboards and the alert rules
/// use (<c>process_cpu_seconds_total</c>, <c>dotnet_gc_collections_total{generation}</c>…), as observable instruments
/// read at collection time. The runtime's own <c>System.Runtime</c> meter (OpenTelemetry.Instrumentation.Runtime) is
/// exported beside them, but its names and labels differ (<c>dotnet_process_cpu_time_seconds_total{cpu_mode}</c>,
/// <c>gc_heap_generation="gen0"</c>, per-generation rather than cumulative counts) and no view can rename a label,
/// so these few stay.
/// </summary>
internal sealed class ProcessMetrics
{
    public const string MeterName = "VoiceBridge.Process";

    private static readonly KeyValuePair<string, object?>[] Generations = [new("generation", "0"), new("generation", "1"), new("generation", "2")];

    private readonly double _startTimeSeconds;

    public ProcessMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        using (var process = Process.GetCurrentProcess())
        {
            _startTimeSeconds = (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
        }

        var meter = meterFactory.Create(new MeterOptions(MeterName));
        meter.CreateObservableCounter("process.cpu", static () => Environment.CpuUsage.TotalTime.TotalSeconds, "s", "Total user and system CPU time spent, in seconds.");
        // On Linux the runtime reads the working set from VmRSS: the resident set size Prometheus' name promises.
        meter.CreateObservableGauge("process.resident_memory", static () => Environment.WorkingSet, "By", "Resident memory size, in bytes.");
        meter.CreateObservableGauge("process.start_time", () => _startTimeSeconds, "s", "Start time of the process since the Unix epoch, in seconds.");
        meter.CreateObservableCounter("dotnet.gc.collections", static () => CollectionCounts(), "{collection}", "Garbage collections since the process started, by generation (a collection of generation n also counts for every lower one).");
        meter.CreateObservableCounter("dotnet.gc.pause", static () => GC.GetTotalPauseDuration().TotalSeconds, "s", "Total time the garbage collector paused the process, in seconds.");
        meter.CreateObservableGauge("dotnet.threadpool.queue.length", static () => ThreadPool.PendingWorkItemCount, "{work_item}", "Work items queued to the thread pool and not yet started.");
    }

    private static Measurement<long>[] CollectionCounts()
    {
        var counts = new Measurement<long>[Math.Min(GC.MaxGeneration + 1, Generations.Length)];
        for (var generation = 0; generation < counts.Length; generation++)
        {
            counts[generation] = new Measurement<long>(GC.CollectionCount(generation), Generations[generation]);
        }

        return counts;
    }
}
