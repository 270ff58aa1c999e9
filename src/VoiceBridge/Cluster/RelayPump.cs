using System.Net.WebSockets;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Cluster;

/// <summary>
/// The relayed call's frames between the browser's socket and the hop to the owning node, as they are: one loop per
/// direction, each the only sender on its destination (a close included), whole messages in pooled buffers
/// (<see cref="MessageReader"/>), nothing allocated per frame. A close is relayed with its code and reason and the
/// other side's answer awaited (bounded); a socket that ends without one (a drop, an abort, this node stopping) makes
/// the relay abort the other, so that the owner sees its browser vanish (the session detaches and waits for a resume)
/// and the browser sees a drop (it resumes, on any node).
/// </summary>
internal static class RelayPump
{
    /// <summary>The owner's frames are what its upstream sent (capped there) or the bridge's own: no tighter cap applies.</summary>
    private const int OwnerMaxMessageBytes = Sessions.UpstreamLeg.MaxMessageBytes;

    private const int InitialBufferBytes = 2 * 1024;

    public static async Task<string> RunAsync(WebSocket browser, WebSocket hop, int browserMaxBytes, TimeSpan closeTimeout, TimeProvider timeProvider, RelayCounters counters, CancellationToken cancellationToken)
    {
        var toOwner = PumpAsync(browser, hop, browserMaxBytes, counters, toOwner: true, cancellationToken);
        var toBrowser = PumpAsync(hop, browser, OwnerMaxMessageBytes, counters, toOwner: false, cancellationToken);
        var first = await Task.WhenAny(toOwner, toBrowser).ConfigureAwait(false);
        var other = first == toOwner ? toBrowser : toOwner;
        var firstEnd = await first.ConfigureAwait(false);
        if (firstEnd.Closed)
        {
            // The close went on to the other side: give it the close budget to answer, as a session's close does.
            try
            {
                await other.WaitAsync(closeTimeout, timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // No answer in time: aborted below.
            }
        }

        if (!firstEnd.Closed || !other.IsCompleted)
        {
            // A drop on one side is a drop on the other (the owner detaches, the browser resumes); an unanswered close ends here.
            browser.Abort();
            hop.Abort();
        }

        var otherEnd = await other.ConfigureAwait(false);
        return (first == toOwner ? "browser " : "owner ") + firstEnd.Description + ", then " + (first == toOwner ? "owner " : "browser ") + otherEnd.Description;
    }

    private static async Task<PumpEnd> PumpAsync(WebSocket source, WebSocket destination, int maxBytes, RelayCounters counters, bool toOwner, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var first = await MessageReader.WaitAsync(source, cancellationToken).ConfigureAwait(false);
                var message = await MessageReader.ReadAsync(source, first, maxBytes, InitialBufferBytes, cancellationToken).ConfigureAwait(false);
                switch (message.Kind)
                {
                    case InboundKind.Close:
                        var (status, description) = CloseStatusMap.EchoToBrowser(message.CloseStatus, message.CloseDescription);
                        await destination.CloseOutputAsync(status, description, cancellationToken).ConfigureAwait(false);
                        return new PumpEnd(true, "closed " + ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));

                    case InboundKind.TooBig:
                        // The owner ends the call as for a direct browser's oversized frame; its close comes back to the browser.
                        await destination.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, "message too big", cancellationToken).ConfigureAwait(false);
                        return new PumpEnd(true, "sent a message over the size cap");
                }

                try
                {
                    var type = message.Kind == InboundKind.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;
                    await destination.SendAsync(message.Buffer.AsMemory(0, message.Length), type, endOfMessage: true, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    message.Release();
                }

                if (toOwner)
                {
                    counters.ToOwner++;
                }
                else
                {
                    counters.ToBrowser++;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            return new PumpEnd(false, cancellationToken.IsCancellationRequested ? "stopped" : "vanished");
        }
    }

    private readonly record struct PumpEnd(bool Closed, string Description);
}

/// <summary>Frames relayed each way (each written by its one direction's loop, read once the relay has ended).</summary>
internal sealed class RelayCounters
{
    public long ToOwner;

    public long ToBrowser;
}
