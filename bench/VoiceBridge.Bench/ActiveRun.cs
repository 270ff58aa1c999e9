namespace VoiceBridge.Bench;

/// <summary>What one target (the baseline echo, or the bridge in front of it) did under the active load.</summary>
internal sealed record ActiveRun(
    string Target,
    int Sessions,
    double WindowSeconds,
    LatencyStats RoundTrip,
    long Sent,
    long Received,
    long Reordered,
    long Errors,
    string? FirstError,
    double BenchCpuSeconds,
    BridgeSample? BridgeBefore,
    double ScrapeAllocatedBytes,
    BridgeSample? BridgeStart,
    BridgeSample? BridgeEnd,
    double WarmedUpSeconds)
{
    public long Lost => Sent - Received;

    /// <summary>Round-trip frames timed inside the measured window.</summary>
    public long MeasuredFrames => RoundTrip.Count;

    public double BenchCpuPercent => BenchCpuSeconds / WindowSeconds * 100;

    public double? BridgeCpuSeconds => BridgeEnd is null || BridgeStart is null ? null : BridgeEnd.CpuSeconds - BridgeStart.CpuSeconds;

    public double? BridgeCpuPer1000Frames => BridgeCpuSeconds is { } cpu && MeasuredFrames > 0 ? cpu / MeasuredFrames * 1000 : null;

    public double? BridgeCpuPercent => BridgeCpuSeconds is { } cpu ? cpu / WindowSeconds * 100 : null;

    /// <summary>
    /// Bridge heap bytes allocated in the window (less the one scrape that falls inside it) per message forwarded:
    /// a round trip is two forwarded messages, browser to upstream and back. NaN without the benchmark counters.
    /// </summary>
    public double AllocatedBytesPerForwardedFrame => BridgeEnd is null || BridgeStart is null || MeasuredFrames == 0
        ? double.NaN
        : (BridgeEnd.Metrics.AllocatedBytes - BridgeStart.Metrics.AllocatedBytes - ScrapeAllocatedBytes) / (2.0 * MeasuredFrames);

    /// <summary>Thread-pool work items the bridge ran in the window per round trip (two forwarded messages).</summary>
    public double WorkItemsPerRoundTrip => BridgeEnd is null || BridgeStart is null || MeasuredFrames == 0
        ? double.NaN
        : (BridgeEnd.Metrics.WorkItems - BridgeStart.Metrics.WorkItems) / MeasuredFrames;

    /// <summary>Methods the bridge's JIT compiled inside the window: near 0 when the window measured the steady state.</summary>
    public double JitMethodsInWindow => BridgeEnd is null || BridgeStart is null
        ? double.NaN
        : BridgeEnd.Metrics.JitCompiledMethods - BridgeStart.Metrics.JitCompiledMethods;

    public double? RssPerSessionKb => BridgeEnd is null || BridgeBefore is null ? null : (BridgeEnd.RssBytes - BridgeBefore.RssBytes) / 1024.0 / Sessions;
}
