using Microsoft.Extensions.Options;
using VoiceBridge.Diagnostics;

namespace VoiceBridge.Tests.Diagnostics;

public sealed class GcBenchmarkCountersTests
{
    [Fact]
    public void Collect_Off_AddsNothingToMetrics()
    {
        var counters = new GcBenchmarkCounters(Options.Create(new TelemetryOptions()), TimeProvider.System);

        Assert.Empty(counters.Collect());
    }

    [Fact]
    public void Collect_On_ExposesAllocatedBytesAndMaxPause()
    {
        var counters = new GcBenchmarkCounters(Options.Create(new TelemetryOptions { BenchmarkCounters = true }), TimeProvider.System);

        var families = counters.Collect().ToDictionary(f => f.Name);

        Assert.Equal(MetricType.Counter, families["dotnet_gc_allocated_bytes_total"].Type);
        Assert.True(families["dotnet_gc_allocated_bytes_total"].Samples[0].Value > 0);
        Assert.Equal(MetricType.Gauge, families["dotnet_gc_pause_max_seconds"].Type);
        Assert.True(families["dotnet_gc_pause_max_seconds"].Samples[0].Value >= 0);
        Assert.Contains("dotnet_gc_pause_unsampled_total", families.Keys);
    }

    [Fact]
    public async Task Collect_On_CountsThreadPoolWorkItems()
    {
        var counters = new GcBenchmarkCounters(Options.Create(new TelemetryOptions { BenchmarkCounters = true }), TimeProvider.System);
        double WorkItems() => counters.Collect().Single(f => f.Name == "dotnet_threadpool_work_items_total").Samples[0].Value;

        var before = WorkItems();
        for (var i = 0; i < 20; i++)
        {
            await Task.Run(() => { });
        }

        Assert.Equal(MetricType.Counter, counters.Collect().Single(f => f.Name == "dotnet_threadpool_work_items_total").Type);

        // The runtime adds each worker thread's count to the total in batches, so a busy machine shows them a little later.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (WorkItems() - before < 20 && !timeout.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None);
        }

        Assert.True(WorkItems() - before >= 20, "20 Task.Run work items were not counted");
    }
}
