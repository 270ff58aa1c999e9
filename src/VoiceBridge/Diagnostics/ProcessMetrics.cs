using System.Diagnostics;
using System.Globalization;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Process and runtime figures read at scrape time, under the names the Prometheus ecosystem uses for them.
/// Nothing here runs between scrapes.
/// </summary>
internal static class ProcessMetrics
{
    private const string StatmPath = "/proc/self/statm";

    private static readonly Lazy<double> StartTimeSeconds = new(() =>
    {
        using var process = Process.GetCurrentProcess();
        return (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    });

    private static readonly KeyValuePair<string, string>[][] Generations =
    [
        [new("generation", "0")],
        [new("generation", "1")],
        [new("generation", "2")],
    ];

    public static IReadOnlyList<MetricFamily> Collect()
    {
        var gcCollections = new MetricSample[Math.Min(GC.MaxGeneration + 1, Generations.Length)];
        for (var generation = 0; generation < gcCollections.Length; generation++)
        {
            gcCollections[generation] = new MetricSample(Generations[generation], GC.CollectionCount(generation));
        }

        return
        [
            Single("process_cpu_seconds_total", "Total user and system CPU time spent, in seconds.", MetricType.Counter, Environment.CpuUsage.TotalTime.TotalSeconds),
            Single("process_resident_memory_bytes", "Resident memory size, in bytes.", MetricType.Gauge, ResidentMemoryBytes()),
            Single("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.", MetricType.Gauge, StartTimeSeconds.Value),
            new MetricFamily(
                "dotnet_gc_collections_total",
                "Garbage collections since the process started, by generation (a collection of generation n also counts for every lower one).",
                MetricType.Counter,
                gcCollections),
            Single("dotnet_gc_pause_seconds_total", "Total time the garbage collector paused the process, in seconds.", MetricType.Counter, GC.GetTotalPauseDuration().TotalSeconds),
            Single("dotnet_threadpool_queue_length", "Work items queued to the thread pool and not yet started.", MetricType.Gauge, ThreadPool.PendingWorkItemCount),
        ];
    }

    /// <summary>RSS from <c>/proc/self/statm</c> (resident pages × page size); the working set elsewhere.</summary>
    public static double ResidentMemoryBytes()
    {
        try
        {
            if (File.Exists(StatmPath))
            {
                var fields = File.ReadAllText(StatmPath).Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
                {
                    return (double)pages * Environment.SystemPageSize;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return Environment.WorkingSet;
    }

    private static MetricFamily Single(string name, string help, MetricType type, double value) =>
        new(name, help, type, [new MetricSample(MetricSample.NoLabels, value)]);
}
