using System.Diagnostics;

namespace VoiceBridge.Bench;

/// <summary>
/// N sessions held open with no traffic (only the WebSocket keep-alive), then one round trip each: what an
/// idle session costs in memory and whether every one still works after waiting.
/// </summary>
internal static class IdleScenario
{
    public sealed record Result(int Sessions, double HeldSeconds, long RssBeforeBytes, long RssHeldBytes, double CpuPercentHeld, int RoundTripsOk, LatencyStats RoundTrip)
    {
        public double RssPerSessionKb => (RssHeldBytes - RssBeforeBytes) / 1024.0 / Sessions;
    }

    /// <summary><paramref name="pid"/> is the process whose memory is measured (the bridge, or this process for the baseline).</summary>
    /// <param name="settle">When given (<c>--settle-gc</c>), run before each RSS reading: a full GC in the bridge.</param>
    public static async Task<Result> RunAsync(Uri url, BenchOptions options, TimeSpan hold, int pid, CancellationToken cancellationToken, Func<Task>? settle = null)
    {
        ForceCollectIfSelf(pid);
        if (settle is not null)
        {
            await settle().ConfigureAwait(false);
        }

        var rssBefore = ProcFs.RssBytes(pid);
        var sessions = await ActiveScenario.ConnectAllAsync(url, options.Binary, options.Sessions, cancellationToken).ConfigureAwait(false);
        try
        {
            var cpuStart = ProcFs.CpuSeconds(pid);
            var held = Stopwatch.StartNew();
            await Task.Delay(hold, cancellationToken).ConfigureAwait(false);
            ForceCollectIfSelf(pid);
            var cpuHeld = ProcFs.CpuSeconds(pid);
            if (settle is not null)
            {
                await settle().ConfigureAwait(false);
            }

            var rssHeld = ProcFs.RssBytes(pid);
            var cpu = cpuHeld - cpuStart;
            var heldSeconds = held.Elapsed.TotalSeconds;

            // One round trip each, 32 at a time: every held session must still carry audio.
            using var gate = new SemaphoreSlim(32);
            var times = new TimeSpan[sessions.Count];
            var ok = await Task.WhenAll(sessions.Select(async (session, i) =>
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    var started = Stopwatch.GetTimestamp();
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    var done = await session.RoundTripOnceAsync(1, timeout.Token).ConfigureAwait(false);
                    times[i] = Stopwatch.GetElapsedTime(started);
                    return done;
                }
                catch (Exception ex) when (ex is OperationCanceledException or System.Net.WebSockets.WebSocketException)
                {
                    return false;
                }
                finally
                {
                    gate.Release();
                }
            })).ConfigureAwait(false);

            await Task.WhenAll(sessions.Select(s => s.CloseAsync(cancellationToken))).ConfigureAwait(false);
            return new Result(sessions.Count, heldSeconds, rssBefore, rssHeld, cpu / heldSeconds * 100, ok.Count(x => x), LatencyStats.FromTimeSpans(times));
        }
        finally
        {
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }
    }

    // For the baseline the measured process is this one: settle its own heap so that garbage is not counted.
    private static void ForceCollectIfSelf(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
    }
}
