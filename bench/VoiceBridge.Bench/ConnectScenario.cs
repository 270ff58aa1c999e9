using System.Diagnostics;

namespace VoiceBridge.Bench;

/// <summary>A connection storm: N sessions opened as fast as 64 concurrent handshakes allow, each up to <c>session.created</c>.</summary>
internal static class ConnectScenario
{
    public sealed record Result(int Attempted, int Connected, int Failed, double Seconds, LatencyStats TimeToSessionCreated, string? FirstFailure)
    {
        public double ConnectsPerSecond => Connected / Seconds;
    }

    public static async Task<Result> RunAsync(Uri url, BenchOptions options, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(64);
        var wall = Stopwatch.StartNew();
        var attempts = await Task.WhenAll(Enumerable.Range(0, options.Sessions).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return (Session: await LoadSession.ConnectAsync(url, options.Binary, cancellationToken).ConfigureAwait(false), Error: (string?)null);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException or IOException)
            {
                return (Session: (LoadSession?)null, Error: ex.Message);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);
        var seconds = wall.Elapsed.TotalSeconds;

        var connected = attempts.Where(a => a.Session is not null).Select(a => a.Session!).ToList();
        try
        {
            var times = LatencyStats.FromTimeSpans(connected.Select(s => s.TimeToSessionCreated));
            await Task.WhenAll(connected.Select(s => s.CloseAsync(cancellationToken))).ConfigureAwait(false);
            return new Result(options.Sessions, connected.Count, options.Sessions - connected.Count, seconds, times, attempts.Select(a => a.Error).FirstOrDefault(e => e is not null));
        }
        finally
        {
            foreach (var session in connected)
            {
                session.Dispose();
            }
        }
    }
}
