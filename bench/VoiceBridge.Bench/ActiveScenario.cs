using System.Diagnostics;

namespace VoiceBridge.Bench;

/// <summary>
/// N sessions, each sending a 20 ms frame every 20 ms; every frame's echo is timed. The first
/// <c>--warmup</c> seconds are sent but not counted; after the window the load stops and every frame still
/// in flight is waited for (up to a few seconds) before loss is counted.
/// </summary>
internal static class ActiveScenario
{
    public static readonly TimeSpan FramePeriod = TimeSpan.FromMilliseconds(20);

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The JIT counts as settled when it compiled at most <see cref="SettledMethods"/> methods over this span.</summary>
    private static readonly TimeSpan SettleSpan = TimeSpan.FromSeconds(5);

    private const int SettledMethods = 5;

    public static async Task<ActiveRun> RunAsync(
        string target,
        Uri url,
        BenchOptions options,
        int sessionCount,
        TimeSpan warmup,
        TimeSpan jitSettleLimit,
        TimeSpan windowLength,
        BridgeProcess? bridge,
        HttpClient http,
        CancellationToken cancellationToken)
    {
        BridgeSample? before = bridge is null ? null : await BridgeSample.TakeAsync(bridge, http, cancellationToken).ConfigureAwait(false);

        // A scrape allocates in the bridge too (the text it renders): measure one, to take it out of the window's figure.
        var scrapeBytes = 0.0;
        if (bridge is not null)
        {
            var again = await BridgeSample.TakeAsync(bridge, http, cancellationToken).ConfigureAwait(false);
            scrapeBytes = again.Metrics.AllocatedBytes - before!.Metrics.AllocatedBytes;
        }

        var sessions = await ConnectAllAsync(url, options.Binary, sessionCount, cancellationToken).ConfigureAwait(false);
        try
        {
            var start = Stopwatch.GetTimestamp();
            var window = new MeasureWindow();

            using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var receivers = sessions.Select(s => Task.Run(() => s.ReceiveLoopAsync(window, stopReceiving.Token), cancellationToken)).ToArray();

            // Spread the sessions' send instants over the 20 ms period, as independent browsers would be.
            var senders = sessions
                .Select((s, i) => Task.Run(() => s.SendLoopAsync(FramePeriod * i / sessions.Count, FramePeriod, stopSending.Token), cancellationToken))
                .ToArray();

            await DelayUntilAsync(start + (long)(warmup.TotalSeconds * Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
            if (bridge is not null && jitSettleLimit > TimeSpan.Zero)
            {
                await WaitForJitToSettleAsync(bridge, http, jitSettleLimit, cancellationToken).ConfigureAwait(false);
            }

            window.Open(Stopwatch.GetTimestamp(), windowLength);
            var warmedUpSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (bridge is not null && jitSettleLimit > TimeSpan.Zero)
            {
                // A profiler started on this line sees the measured window (bench/profile-cpu.sh waits for it).
                BenchRunner.Say($"{target}: measuring now, after {warmedUpSeconds:F1} s of warm-up, for {windowLength.TotalSeconds:F0} s");
            }

            var benchCpuStart = ProcFs.CpuSeconds(Environment.ProcessId);
            BridgeSample? atStart = bridge is null ? null : await BridgeSample.TakeAsync(bridge, http, cancellationToken).ConfigureAwait(false);

            await DelayUntilAsync(window.End, cancellationToken).ConfigureAwait(false);
            var benchCpu = ProcFs.CpuSeconds(Environment.ProcessId) - benchCpuStart;
            BridgeSample? atEnd = bridge is null ? null : await BridgeSample.TakeAsync(bridge, http, cancellationToken).ConfigureAwait(false);
            var windowSeconds = Stopwatch.GetElapsedTime(window.Start).TotalSeconds;

            await stopSending.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(senders).ConfigureAwait(false);

            // Drain: every frame sent gets its echo, or it is lost.
            var drained = Stopwatch.StartNew();
            while (drained.Elapsed < DrainTimeout && sessions.Sum(s => s.Sent - s.Received) > 0)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            await Task.WhenAll(sessions.Select(s => s.CloseAsync(cancellationToken))).ConfigureAwait(false);
            using (var closeWait = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            {
                try
                {
                    await Task.WhenAll(receivers).WaitAsync(closeWait.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    await stopReceiving.CancelAsync().ConfigureAwait(false);
                    await Task.WhenAll(receivers).ConfigureAwait(false);
                }
            }

            var roundTrips = new List<long>(sessions.Sum(s => s.RoundTrips.Count));
            foreach (var session in sessions)
            {
                roundTrips.AddRange(session.RoundTrips);
            }

            return new ActiveRun(
                target,
                sessionCount,
                windowSeconds,
                LatencyStats.From(roundTrips),
                sessions.Sum(s => s.Sent),
                sessions.Sum(s => s.Received),
                sessions.Sum(s => s.Reordered),
                sessions.Sum(s => s.Errors),
                sessions.Select(s => s.FirstError).FirstOrDefault(e => e is not null),
                benchCpu,
                before,
                scrapeBytes,
                atStart,
                atEnd,
                warmedUpSeconds);
        }
        finally
        {
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
    }

    /// <summary>
    /// Extends the warm-up until the bridge's JIT has settled: no more than a few methods compiled over the last
    /// <see cref="SettleSpan"/>, or <paramref name="limit"/> has passed. Under load the runtime's tiering (ReadyToRun
    /// code, then instrumented code, then tier 1) keeps compiling for tens of seconds; a window that opens before it is
    /// done measures the compiler and the instrumented code, not the bridge's steady state (bench/README.md, Warm-up).
    /// </summary>
    private static async Task WaitForJitToSettleAsync(BridgeProcess bridge, HttpClient http, TimeSpan limit, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        var readings = new Queue<double>();
        while (waited.Elapsed < limit)
        {
            var compiled = (await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false)).JitCompiledMethods;
            if (double.IsNaN(compiled))
            {
                return; // A bridge without the runtime's meter: the fixed warm-up is all there is.
            }

            readings.Enqueue(compiled);
            if (readings.Count > SettleSpan.TotalSeconds)
            {
                if (compiled - readings.Dequeue() <= SettledMethods)
                {
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Opens <paramref name="count"/> sessions (at most 32 handshakes at once), each up to its <c>session.created</c>.</summary>
    public static async Task<List<LoadSession>> ConnectAllAsync(Uri url, bool binary, int count, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(32);
        var tasks = Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await LoadSession.ConnectAsync(url, binary, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        try
        {
            return [.. await Task.WhenAll(tasks).ConfigureAwait(false)];
        }
        catch
        {
            foreach (var task in tasks.Where(t => t.IsCompletedSuccessfully))
            {
                task.Result.Dispose();
            }

            throw;
        }
    }

    private static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }
    }
}
