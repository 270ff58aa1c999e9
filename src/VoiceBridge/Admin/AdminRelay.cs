using VoiceBridge.Cluster;

namespace VoiceBridge.Admin;

/// <summary>
/// <c>GET /admin/sessions/{id}/events</c> for a session another node holds: the owner publishes the session's events
/// on the request's reply channel and this node writes them as its own stream would. The stream ends with the
/// session (the <c>end</c> event and its account) and when the owner goes away (it stops answering or nobody listens
/// on its channel any more): then without an <c>end</c> event, as CONTRACT.md says.
/// </summary>
internal static class AdminRelay
{
    public static async Task WatchAsync(string id, HttpContext context, FleetAdminRouter router, TimeProvider timeProvider)
    {
        var token = context.RequestAborted;
        var owner = await router.FindOwnerAsync(id, AdminActions.Watch).ConfigureAwait(false);
        if (owner.Node is not { } node)
        {
            await (owner.IsUnreachable ? AdminActions.NodeUnreachable(id) : AdminActions.UnknownSession(id)).ToResult().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await using var exchange = await router.WatchAsync(node, id).ConfigureAwait(false);
        var first = exchange is null ? null : await ReadOrNullAsync(exchange, start: true, token).ConfigureAwait(false);
        if (first is not { Kind: FleetReply.Answer })
        {
            await AdminActions.NodeUnreachable(id).ToResult().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        if (first.Status != StatusCodes.Status200OK)
        {
            await Results.Content(first.Body, "application/json", System.Text.Encoding.UTF8, first.Status).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        try
        {
            await AdminEventStream.StartAsync(response, id, token).ConfigureAwait(false);
            var lastWrite = timeProvider.GetTimestamp();
            while (await ReadOrNullAsync(exchange!, start: false, token).ConfigureAwait(false) is { } message)
            {
                switch (message.Kind)
                {
                    case FleetReply.Event when message.Data is { } data:
                        await AdminEventStream.DataAsync(response, data, token).ConfigureAwait(false);
                        break;
                    case FleetReply.DroppedKind:
                        await AdminEventStream.DroppedAsync(response, message.Dropped, token).ConfigureAwait(false);
                        break;
                    case FleetReply.End:
                        await AdminEventStream.EndAsync(response, message.Body ?? "{}", token).ConfigureAwait(false);
                        return;
                    case FleetReply.Alive when timeProvider.GetElapsedTime(lastWrite) >= AdminEventStream.KeepAlivePeriod:
                        await AdminEventStream.KeepAliveAsync(response, token).ConfigureAwait(false);
                        break;
                    default:
                        continue;
                }

                lastWrite = timeProvider.GetTimestamp();
                await response.Body.FlushAsync(token).ConfigureAwait(false);
            }

            // The owner went away: the stream ends here (the session may still run on that node, unseen).
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The watcher went away; disposing the exchange tells the owner.
        }
    }

    /// <summary>The owner's next message; null when it is gone (or Redis failed under the relay).</summary>
    private static async Task<FleetReply?> ReadOrNullAsync(FleetExchange exchange, bool start, CancellationToken token)
    {
        try
        {
            return start
                ? await exchange.ReadAsync(FleetAdminTimings.ReplyTimeout, token).ConfigureAwait(false)
                : await exchange.NextStreamMessageAsync(token).ConfigureAwait(false);
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return null;
        }
    }
}
