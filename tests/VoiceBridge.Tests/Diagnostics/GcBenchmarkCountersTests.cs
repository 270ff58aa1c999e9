namespace VoiceBridge.Tests.Diagnostics;

public sealed class GcBenchmarkCountersTests
{
    [Fact]
    public void Scrape_Off_HasNoBenchmarkCounter()
    {
        using var harness = new MetricsHarness();

        var names = harness.Parse().Families.Keys;

        Assert.DoesNotContain("dotnet_gc_allocated_bytes_total", names);
        Assert.DoesNotContain("dotnet_gc_pause_max_seconds", names);
        Assert.DoesNotContain("dotnet_gc_pause_unsampled_total", names);
        Assert.DoesNotContain("dotnet_threadpool_work_items_total", names);
    }

    [Fact]
    public void Scrape_On_ExposesAllocatedBytesAndMaxPause()
    {
        using var harness = new MetricsHarness(benchmarkCounters: true);

        var exposition = harness.Parse();

        Assert.Equal("counter", exposition.Families["dotnet_gc_allocated_bytes_total"].Type);
        Assert.True(exposition.Value("dotnet_gc_allocated_bytes_total") > 0);
        Assert.Equal("gauge", exposition.Families["dotnet_gc_pause_max_seconds"].Type);
        Assert.True(exposition.Value("dotnet_gc_pause_max_seconds") >= 0);
        Assert.Equal("counter", exposition.Families["dotnet_gc_pause_unsampled_total"].Type);
    }

    [Fact]
    public async Task Scrape_On_CountsThreadPoolWorkItems()
    {
        using var harness = new MetricsHarness(benchmarkCounters: true);
        double WorkItems() => harness.Parse().Value("dotnet_threadpool_work_items_total");

        var before = WorkItems();
        for (var i = 0; i < 20; i++)
        {
            await Task.Run(() => { });
        }

        Assert.Equal("counter", harness.Parse().Families["dotnet_threadpool_work_items_total"].Type);

        // The runtime adds each worker thread's count to the total in batches, so a busy machine shows them a little later.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (WorkItems() - before < 20 && !timeout.IsCancellationRequested)
        {
            await Task.Delay(10, CancellationToken.None);
        }

        Assert.True(WorkItems() - before >= 20, "20 Task.Run work items were not counted");
    }
}
