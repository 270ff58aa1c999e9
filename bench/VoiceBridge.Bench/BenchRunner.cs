using System.Diagnostics;
using System.Globalization;

namespace VoiceBridge.Bench;

/// <summary>Sets up the echo upstream and the bridge process, runs the scenarios, prints the figures.</summary>
internal static class BenchRunner
{
    public static async Task<int> RunAsync(BenchOptions options, CancellationToken cancellationToken)
    {
        var total = Stopwatch.StartNew();
        var report = new Report();
        var (bridgeCore, pinning) = MachineSetup.Pin(options.Pin);
        Say(pinning);
        Say($"machine: {Environment.ProcessorCount} cores, load average {ProcFs.LoadAverage()} (1/5/15 min) before the run, .NET {Environment.Version}");
        report.Notes.Add(pinning);
        report.Notes.Add($"load average before the run: {ProcFs.LoadAverage()}");

        var publishDirectory = options.BridgeDirectory;
        if (publishDirectory is null)
        {
            var root = MachineSetup.FindRepoRoot();
            publishDirectory = Path.Combine(root, "artifacts", "bench", "bridge");
            Say($"publishing the bridge: scripts/publish.sh {publishDirectory}");
            var published = Stopwatch.StartNew();
            await BridgeProcess.PublishAsync(root, publishDirectory, cancellationToken).ConfigureAwait(false);
            Say($"published in {published.Elapsed.TotalSeconds:F1} s");
        }

        await using var echo = await EchoUpstream.StartAsync().ConfigureAwait(false);
        await using var bridge = await BridgeProcess.StartAsync(publishDirectory, echo.Url, bridgeCore, cancellationToken).ConfigureAwait(false);
        Say($"echo upstream {echo.Url}; bridge pid {bridge.Pid} on {bridge.Url}, /healthz 200 after {bridge.TimeToHealthy.TotalMilliseconds:F0} ms");
        report.Notes.Add($"bridge /healthz answered 200 {bridge.TimeToHealthy.TotalMilliseconds:F0} ms after process start (published Release, dotnet VoiceBridge.dll)");
        report.Set("bridge_time_to_healthy_ms", bridge.TimeToHealthy.TotalMilliseconds);
        report.Set("pinning", pinning);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var bridgeUrl = new Uri($"ws://127.0.0.1:{bridge.Url.Port}/voice{(options.Binary ? "?audio=binary" : string.Empty)}");
        var failed = false;

        if (options.Scenario is "active" or "all")
        {
            failed |= await RunActiveAsync(options, echo, bridge, bridgeUrl, http, report, cancellationToken).ConfigureAwait(false);
        }

        if (bridge.HasExited)
        {
            throw new InvalidOperationException($"the bridge exited during the run:\n{bridge.RecentOutput}");
        }

        report.Notes.Add($"load average after the run: {ProcFs.LoadAverage()}; whole run {total.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine();
        Console.Write(report.Render());
        if (options.JsonPath is not null)
        {
            await report.WriteJsonAsync(options.JsonPath).ConfigureAwait(false);
            Say($"figures written to {options.JsonPath}");
        }

        if (failed)
        {
            await Console.Error.WriteLineAsync("bench: FAILED: frames were lost or reordered (see the table)").ConfigureAwait(false);
            return 1;
        }

        return 0;
    }

    private static async Task<bool> RunActiveAsync(
        BenchOptions options,
        EchoUpstream echo,
        BridgeProcess bridge,
        Uri bridgeUrl,
        HttpClient http,
        Report report,
        CancellationToken cancellationToken)
    {
        var warmup = TimeSpan.FromSeconds(options.WarmupSeconds);
        var window = TimeSpan.FromSeconds(options.Seconds);
        var mode = options.Binary ? "binary PCM frames (?audio=binary)" : "text input_audio_buffer.append";

        // Warm both paths (JIT, tiering, pools) with a short light load that is not reported.
        Say("warming up (10 sessions, 1.5 s each path, not reported)");
        await ActiveScenario.RunAsync("warmup", echo.Url, options, Math.Min(10, options.Sessions), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), null, http, cancellationToken).ConfigureAwait(false);
        await ActiveScenario.RunAsync("warmup", bridgeUrl, options, Math.Min(10, options.Sessions), TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1), bridge, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        Say($"active baseline: {options.Sessions} sessions straight at the echo, {mode}, {options.WarmupSeconds} s warm-up + {options.Seconds} s");
        var baseline = await ActiveScenario.RunAsync("baseline", echo.Url, options, options.Sessions, warmup, window, null, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        Say($"active bridge: {options.Sessions} sessions through the bridge, {mode}, {options.WarmupSeconds} s warm-up + {options.Seconds} s");
        var through = await ActiveScenario.RunAsync("bridge", bridgeUrl, options, options.Sessions, warmup, window, bridge, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        report.AddActive(baseline, through);
        if (through.FirstError is not null || baseline.FirstError is not null)
        {
            report.Notes.Add($"first error event: {through.FirstError ?? baseline.FirstError}");
        }

        return baseline.Lost + baseline.Reordered + through.Lost + through.Reordered > 0;
    }

    /// <summary>Waits (up to 5 s) until the bridge reports no session and the echo holds no socket.</summary>
    public static async Task WaitForNoSessionsAsync(BridgeProcess bridge, EchoUpstream echo, HttpClient http, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            var metrics = await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false);
            if (metrics.SessionsActive == 0 && echo.Live == 0)
            {
                return;
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }

    public static void Say(string line) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{DateTime.Now:HH:mm:ss}] {line}"));
}
