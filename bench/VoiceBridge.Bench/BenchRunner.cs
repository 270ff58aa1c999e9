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
        foreach (var (name, value) in options.BridgeEnvironment)
        {
            report.Notes.Add($"bridge started with {name}={value} (--bridge-env)");
        }

        if (options.SettleGc)
        {
            report.Notes.Add("idle: a full GC was induced in the bridge before each RSS reading (--settle-gc)");
        }
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
        if (options.Scenario == "relay")
        {
            // Two nodes and a Redis of their own: the relay scenario runs alone.
            return await RelayScenario.RunAsync(options, publishDirectory, echo, cancellationToken).ConfigureAwait(false);
        }

        await using var bridge = await BridgeProcess.StartAsync(publishDirectory, echo.Url, bridgeCore, options.BridgeEnvironment, cancellationToken).ConfigureAwait(false);
        Say($"echo upstream {echo.Url}; bridge pid {bridge.Pid} on {bridge.Url}, /healthz 200 after {bridge.TimeToHealthy.TotalMilliseconds:F0} ms");
        report.Notes.Add($"bridge /healthz answered 200 {bridge.TimeToHealthy.TotalMilliseconds:F0} ms after process start (published Release, dotnet VoiceBridge.dll)");
        report.Set("bridge_time_to_healthy_ms", bridge.TimeToHealthy.TotalMilliseconds);
        report.Set("pinning", pinning);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var bridgeUrl = new Uri($"ws://127.0.0.1:{bridge.Url.Port}/voice{(options.Binary ? "?audio=binary" : string.Empty)}");
        var failed = false;

        // Warm both paths (JIT, tiering, pools) with a short light load that is not reported, whatever the scenario.
        Say("warming up (10 sessions, 1.5 s each path, not reported)");
        await ActiveScenario.RunAsync("warmup", echo.Url, options, Math.Min(10, options.Sessions), TimeSpan.FromSeconds(0.5), TimeSpan.Zero, TimeSpan.FromSeconds(1), null, http, cancellationToken).ConfigureAwait(false);
        await ActiveScenario.RunAsync("warmup", bridgeUrl, options, Math.Min(10, options.Sessions), TimeSpan.FromSeconds(0.5), TimeSpan.Zero, TimeSpan.FromSeconds(1), bridge, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        if (options.Scenario is "active" or "all")
        {
            failed |= await RunActiveAsync(options, echo, bridge, bridgeUrl, http, report, cancellationToken).ConfigureAwait(false);
        }

        if (options.Scenario is "idle" or "all")
        {
            failed |= await RunIdleAsync(options, echo, bridge, bridgeUrl, http, report, cancellationToken).ConfigureAwait(false);
        }

        if (options.Scenario is "connect" or "all")
        {
            failed |= await RunConnectAsync(options, echo, bridge, bridgeUrl, http, report, cancellationToken).ConfigureAwait(false);
        }

        if (options.Scenario is "close" or "all")
        {
            failed |= await RunCloseAsync(options, echo, bridge, bridgeUrl, http, report, cancellationToken).ConfigureAwait(false);
        }

        if (options.HeapCensus && options.Scenario is "idle" or "all")
        {
            await CensusScenario.RunAsync(bridgeUrl, options, bridge, http, active: false, cancellationToken).ConfigureAwait(false);
            await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);
        }

        if (options.HeapCensus && options.Scenario is "detached")
        {
            // Sessions that asked for bridge events (so they hold a resume token), whose browsers then vanish.
            var resumable = new Uri(bridgeUrl + (options.Binary ? "&" : "?") + "bridge_events=1");
            await CensusScenario.RunAsync(resumable, options, bridge, http, active: false, cancellationToken, detach: true).ConfigureAwait(false);
        }

        if (options.HeapCensus && options.Scenario is "active" or "all")
        {
            await CensusScenario.RunAsync(bridgeUrl, options, bridge, http, active: true, cancellationToken).ConfigureAwait(false);
            await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);
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
            await Console.Error.WriteLineAsync("bench: FAILED: frames lost or reordered, a session that stopped working, or an upstream socket not released (see the table)").ConfigureAwait(false);
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

        Say($"active baseline: {options.Sessions} sessions straight at the echo, {mode}, {options.WarmupSeconds} s warm-up + {options.Seconds} s");
        var baseline = await ActiveScenario.RunAsync("baseline", echo.Url, options, options.Sessions, warmup, TimeSpan.Zero, window, null, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        Say($"active bridge: {options.Sessions} sessions through the bridge, {mode}, {options.WarmupSeconds} s warm-up (longer until its JIT settles, at most {options.JitSettleSeconds} s more) + {options.Seconds} s");
        var through = await ActiveScenario.RunAsync("bridge", bridgeUrl, options, options.Sessions, warmup, TimeSpan.FromSeconds(options.JitSettleSeconds), window, bridge, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        report.AddActive(baseline, through);
        if (through.FirstError is not null || baseline.FirstError is not null)
        {
            report.Notes.Add($"first error event: {through.FirstError ?? baseline.FirstError}");
        }

        return baseline.Lost + baseline.Reordered + through.Lost + through.Reordered > 0;
    }

    private static async Task<bool> RunIdleAsync(
        BenchOptions options,
        EchoUpstream echo,
        BridgeProcess bridge,
        Uri bridgeUrl,
        HttpClient http,
        Report report,
        CancellationToken cancellationToken)
    {
        const string S = "idle";

        var hold = TimeSpan.FromSeconds(options.IdleSeconds);

        // A first pass at the same N, not reported, so that the measured pass carries neither one-off growth
        // (thread-pool threads, pools sized for N, tier-1 JIT of the connect path) nor its CPU; then a pause
        // for the runtime to finish what was left behind.
        Say($"idle: priming pass, {options.Sessions} sessions through the bridge (only its RSS growth is reported)");
        Func<Task>? settle = options.SettleGc ? () => BridgeGc.CollectAsync(bridge, http, cancellationToken) : null;
        var first = await IdleScenario.RunAsync(bridgeUrl, options, TimeSpan.Zero, bridge.Pid, cancellationToken, settle).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        Say($"idle baseline: {options.Sessions} sessions straight at the echo, held {options.IdleSeconds} s, then one round trip each");
        var baseline = await IdleScenario.RunAsync(echo.Url, options, hold, Environment.ProcessId, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);
        Say($"idle bridge: {options.Sessions} sessions through the bridge, held {options.IdleSeconds} s, then one round trip each");
        var through = await IdleScenario.RunAsync(bridgeUrl, options, hold, bridge.Pid, cancellationToken, settle).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
        report.Row(S, "sessions held", I(baseline.Sessions), I(through.Sessions));
        report.Row(S, "held, s", Report.F(baseline.HeldSeconds), Report.F(through.HeldSeconds));
        // The baseline has no separate process to weigh (client and echo share this one), so no RSS figure for it.
        report.Row(S, "bridge RSS before / held, MB", "-", $"{Report.F(through.RssBeforeBytes / 1048576.0, 1)} / {Report.F(through.RssHeldBytes / 1048576.0, 1)}");
        report.Row(S, "bridge RSS per idle session, KB", "-", Report.F(through.RssPerSessionKb, 1));
        // The primed figure counts only what the first pass did not leave committed; the first pass's own growth,
        // from a process that never held N sessions, is the other bound (one-off growth included).
        report.Row(S, "bridge RSS per idle session, first pass, KB", "-", Report.F(first.RssPerSessionKb, 1));
        report.Row(S, "CPU while held, % of a core (baseline: bench)", Report.F(baseline.CpuPercentHeld, 2), Report.F(through.CpuPercentHeld, 2));
        report.Row(S, "round trips ok after holding", $"{baseline.RoundTripsOk}/{baseline.Sessions}", $"{through.RoundTripsOk}/{through.Sessions}");
        report.Row(S, "that round trip p50 / p99, ms", $"{Report.F(baseline.RoundTrip.P50, 2)} / {Report.F(baseline.RoundTrip.P99, 2)}", $"{Report.F(through.RoundTrip.P50, 2)} / {Report.F(through.RoundTrip.P99, 2)}");
        report.Set("idle", new System.Text.Json.Nodes.JsonObject
        {
            ["sessions"] = through.Sessions,
            ["bridge_rss_per_session_kb"] = through.RssPerSessionKb,
            ["bridge_rss_per_session_first_pass_kb"] = first.RssPerSessionKb,
            ["bridge_cpu_percent_held"] = through.CpuPercentHeld,
            ["bridge_round_trips_ok"] = through.RoundTripsOk,
            ["baseline_round_trips_ok"] = baseline.RoundTripsOk,
        });
        return baseline.RoundTripsOk != baseline.Sessions || through.RoundTripsOk != through.Sessions;
    }

    private static async Task<bool> RunConnectAsync(
        BenchOptions options,
        EchoUpstream echo,
        BridgeProcess bridge,
        Uri bridgeUrl,
        HttpClient http,
        Report report,
        CancellationToken cancellationToken)
    {
        const string S = "connect";
        Say($"connect baseline: {options.Sessions} sessions opened straight at the echo, 64 handshakes at a time");
        var baseline = await ConnectScenario.RunAsync(echo.Url, options, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);
        Say($"connect bridge: {options.Sessions} sessions opened through the bridge, 64 handshakes at a time");
        var through = await ConnectScenario.RunAsync(bridgeUrl, options, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        var b = baseline.TimeToSessionCreated;
        var v = through.TimeToSessionCreated;
        report.Row(S, "sessions connected / attempted", $"{baseline.Connected}/{baseline.Attempted}", $"{through.Connected}/{through.Attempted}");
        report.Row(S, "connects per second", Report.F(baseline.ConnectsPerSecond, 0), Report.F(through.ConnectsPerSecond, 0));
        report.Row(S, "time to session.created p50, ms", Report.F(b.P50, 2), Report.F(v.P50, 2), Report.Signed(v.P50 - b.P50, 2));
        report.Row(S, "time to session.created p99, ms", Report.F(b.P99, 2), Report.F(v.P99, 2), Report.Signed(v.P99 - b.P99, 2));
        if (baseline.FirstFailure is not null || through.FirstFailure is not null)
        {
            report.Notes.Add($"first connect failure: {through.FirstFailure ?? baseline.FirstFailure}");
        }

        report.Set("connect", new System.Text.Json.Nodes.JsonObject
        {
            ["baseline_connects_per_s"] = baseline.ConnectsPerSecond,
            ["bridge_connects_per_s"] = through.ConnectsPerSecond,
            ["baseline_session_created_ms"] = new System.Text.Json.Nodes.JsonObject { ["p50"] = b.P50, ["p99"] = b.P99 },
            ["bridge_session_created_ms"] = new System.Text.Json.Nodes.JsonObject { ["p50"] = v.P50, ["p99"] = v.P99 },
            ["bridge_failed"] = through.Failed,
        });
        return baseline.Failed + through.Failed > 0;
    }

    private static async Task<bool> RunCloseAsync(
        BenchOptions options,
        EchoUpstream echo,
        BridgeProcess bridge,
        Uri bridgeUrl,
        HttpClient http,
        Report report,
        CancellationToken cancellationToken)
    {
        const string S = "close";
        Say($"close baseline: {options.Sessions} sessions straight at the echo, then every TCP connection aborted");
        var baseline = await CloseScenario.RunAsync(echo.Url, options, echo, null, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);
        Say($"close bridge: {options.Sessions} sessions through the bridge, then every browser TCP connection aborted");
        var through = await CloseScenario.RunAsync(bridgeUrl, options, echo, bridge, http, cancellationToken).ConfigureAwait(false);
        await WaitForNoSessionsAsync(bridge, echo, http, cancellationToken).ConfigureAwait(false);

        string Released(CloseScenario.Result r) => r.SecondsToReleaseAll is { } s
            ? Report.F(s * 1000, 0)
            : $"NOT within {CloseScenario.Deadline.TotalSeconds:F0} s";
        report.Row(S, "sessions aborted", baseline.Sessions.ToString(CultureInfo.InvariantCulture), through.Sessions.ToString(CultureInfo.InvariantCulture));
        report.Row(S, "echo sockets open before abort", baseline.UpstreamsBefore.ToString(CultureInfo.InvariantCulture), through.UpstreamsBefore.ToString(CultureInfo.InvariantCulture));
        report.Row(S, "all upstream sockets released after, ms", Released(baseline), Released(through));
        report.Row(S, "left open (echo live / bridge sessions_active)", $"{baseline.EchoLiveAfter} / -", $"{through.EchoLiveAfter} / {through.BridgeActiveAfter:F0}");
        report.Set("close", new System.Text.Json.Nodes.JsonObject
        {
            ["sessions"] = through.Sessions,
            ["bridge_released_all_s"] = through.SecondsToReleaseAll,
            ["bridge_left_open"] = through.EchoLiveAfter,
        });
        return !baseline.AllReleased || !through.AllReleased;
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
