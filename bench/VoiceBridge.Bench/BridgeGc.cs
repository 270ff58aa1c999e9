using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace VoiceBridge.Bench;

/// <summary>
/// Makes the bridge run a full blocking GC from outside, as <c>dotnet-gcdump</c> does: an EventPipe session that
/// enables the runtime provider's GCHeapCollect keyword. Garbage not yet collected (a gen0 budget's worth, which
/// depends on when the last GC happened to run) then no longer counts in an RSS figure. Benchmark-only.
/// </summary>
internal static class BridgeGc
{
    private const long GcKeyword = 0x1;
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>Returns once the bridge's <c>/metrics</c> shows one more gen2 collection (or after 5 s).</summary>
    public static async Task CollectAsync(BridgeProcess bridge, HttpClient http, CancellationToken cancellationToken)
    {
        var before = (await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false)).GcGen2;
        var client = new DiagnosticsClient(bridge.Pid);
        using var session = await client.StartEventPipeSessionAsync(
            [new EventPipeProvider("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, GcKeyword | GcHeapCollectKeyword)],
            requestRundown: false,
            circularBufferMB: 4,
            cancellationToken).ConfigureAwait(false);
        var drain = session.EventStream.CopyToAsync(Stream.Null, cancellationToken);
        try
        {
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (waited.Elapsed < TimeSpan.FromSeconds(5)
                && (await MetricsScrape.ReadAsync(http, bridge.Url, cancellationToken).ConfigureAwait(false)).GcGen2 <= before)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await session.StopAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await drain.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The session's stream ends with the session.
            }
        }
    }
}
