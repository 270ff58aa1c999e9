using System.Diagnostics;

namespace VoiceBridge.Bench;

/// <summary>
/// N sessions open, then every browser connection dropped at once with no close handshake (TCP abort):
/// every upstream socket must be released, seen from both ends (the bridge's <c>voicebridge_sessions_active</c>
/// and the echo's live count).
/// </summary>
internal static class CloseScenario
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    public sealed record Result(int Sessions, int UpstreamsBefore, double? SecondsToReleaseAll, int EchoLiveAfter, double BridgeActiveAfter)
    {
        public bool AllReleased => SecondsToReleaseAll is not null;
    }

    public static async Task<Result> RunAsync(Uri url, BenchOptions options, EchoUpstream echo, BridgeProcess? bridge, HttpClient http, CancellationToken cancellationToken)
    {
        var sessions = await ActiveScenario.ConnectAllAsync(url, options.Binary, options.Sessions, cancellationToken).ConfigureAwait(false);
        var upstreams = echo.Live;
        var released = Stopwatch.StartNew();
        foreach (var session in sessions)
        {
            session.Abort();
            session.Dispose();
        }

        double bridgeActive = 0;
        while (released.Elapsed < Deadline)
        {
            bridgeActive = bridge is null ? 0 : (await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false)).SessionsActive;
            if (echo.Live == 0 && bridgeActive == 0)
            {
                return new Result(sessions.Count, upstreams, released.Elapsed.TotalSeconds, 0, 0);
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return new Result(sessions.Count, upstreams, null, echo.Live, bridgeActive);
    }
}
