namespace VoiceBridge.Bench;

/// <summary>
/// <c>--heap-census</c>: after the timed scenarios, the bridge's heap is counted with no session, with N and with
/// 2N (idle, or active: every session sending a frame each 20 ms, or detached: resumable sessions whose browser
/// sockets were aborted, waiting for a resume with nothing kept). N → 2N is the per-session cost with the fixed
/// cost taken out; 0 → N also carries what the first N sessions grow once (pools, thread-pool threads).
/// </summary>
internal static class CensusScenario
{
    /// <summary>Time for a step's sessions to settle (active: to reach steady sending) before the census.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(Uri bridgeUrl, BenchOptions options, BridgeProcess bridge, HttpClient http, bool active, CancellationToken cancellationToken, bool detach = false)
    {
        var what = detach ? "detached" : active ? "active" : "idle";
        var n = options.Sessions;
        BenchRunner.Say($"heap census ({what}): 0, {n} and {2 * n} sessions through the bridge; the bridge is suspended while counted");
        var none = await TakeAsync(0).ConfigureAwait(false);
        var sessions = new List<LoadSession>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var loops = new List<Task>();
        try
        {
            await AddAsync(n).ConfigureAwait(false);
            var atN = await TakeAsync(n).ConfigureAwait(false);
            await AddAsync(n).ConfigureAwait(false);
            var at2N = await TakeAsync(2 * n).ConfigureAwait(false);

            Console.WriteLine();
            Console.Write(HeapCensus.Compare($"{what}, fixed + per-session", none, atN, options.CensusTop));
            Console.WriteLine();
            Console.Write(HeapCensus.Compare($"{what}, per session", atN, at2N, options.CensusTop));
            Console.WriteLine();
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(sessions.Select(s => s.CloseAsync(CancellationToken.None))).ConfigureAwait(false);
            await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            foreach (var session in sessions)
            {
                session.Dispose();
            }
        }

        // The census as found (its dead bytes are garbage a gen0 budget holds), then RSS again after a full GC.
        async Task<HeapCensus> TakeAsync(int count)
        {
            if (detach)
            {
                // The census is only about detached sessions if the bridge saw every abort as a blip.
                var text = await http.GetStringAsync(new Uri(bridge.Url, "/metrics"), cancellationToken).ConfigureAwait(false);
                var line = text.Split('\n').FirstOrDefault(l => l.StartsWith("voicebridge_sessions_detached ", StringComparison.Ordinal)) ?? "voicebridge_sessions_detached (absent)";
                BenchRunner.Say($"{count} sessions opened and aborted: {line}");
            }

            var allocated = (await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false)).AllocatedBytes;
            var census = HeapCensus.Take(bridge.Pid, count);
            census.AllocatedBytes = allocated;
            await BridgeGc.CollectAsync(bridge, http, cancellationToken).ConfigureAwait(false);
            census.RssAfterGcBytes = ProcFs.RssBytes(bridge.Pid);
            return census;
        }

        async Task AddAsync(int count)
        {
            var added = await ActiveScenario.ConnectAllAsync(bridgeUrl, options.Binary, count, cancellationToken).ConfigureAwait(false);
            sessions.AddRange(added);
            if (detach)
            {
                // No close frame: the bridge detaches each session and keeps it for the resume window.
                foreach (var session in added)
                {
                    session.Abort();
                }
            }

            if (active)
            {
                foreach (var (session, i) in added.Select((s, i) => (s, i)))
                {
                    loops.Add(Task.Run(() => session.ReceiveLoopAsync(new MeasureWindow(), stop.Token), CancellationToken.None));
                    loops.Add(Task.Run(() => session.SendLoopAsync(ActiveScenario.FramePeriod * i / count, ActiveScenario.FramePeriod, stop.Token), CancellationToken.None));
                }
            }

            await Task.Delay(Settle, cancellationToken).ConfigureAwait(false);
        }
    }
}
