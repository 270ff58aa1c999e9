namespace VoiceBridge.Bench;

/// <summary>The bridge process at one instant: /proc figures and its /metrics series.</summary>
internal sealed record BridgeSample(double CpuSeconds, long RssBytes, long VoluntarySwitches, long InvoluntarySwitches, MetricsScrape Metrics)
{
    public static async Task<BridgeSample> TakeAsync(BridgeProcess bridge, HttpClient http, CancellationToken cancellationToken)
    {
        // /proc first: the scrape itself costs the bridge a little CPU.
        var cpu = ProcFs.CpuSeconds(bridge.Pid);
        var rss = ProcFs.RssBytes(bridge.Pid);
        var (voluntary, involuntary) = ProcFs.ContextSwitches(bridge.Pid);
        var metrics = await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false);
        return new BridgeSample(cpu, rss, voluntary, involuntary, metrics);
    }
}
