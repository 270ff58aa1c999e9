using System.Text.Json;
using StackExchange.Redis;
using VoiceBridge.Admin;
using VoiceBridge.Sessions;

namespace VoiceBridge.Cluster;

/// <summary>
/// The owner's side of an event stream another node relays: publishes the session's events (as a local watcher gets
/// them, audio omitted, a slow reader losing events rather than slowing the call) on the request's reply channel,
/// with a keep-alive while the session is quiet and the final account when it ends. Stops when the asker stops
/// renewing, says it stopped, or nobody is subscribed to the channel any more.
/// </summary>
internal sealed class FleetWatchPublisher(ISubscriber subscriber, string requestId, string secret, TimeProvider timeProvider) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private long _lastRenewed = timeProvider.GetTimestamp();
    private long _seq;

    public void Renew() => Volatile.Write(ref _lastRenewed, timeProvider.GetTimestamp());

    /// <summary>The asker stopped relaying (or this node stops).</summary>
    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A late unwatch for a stream that already ended.
        }
    }

    public void Dispose() => _stop.Dispose();

    public async Task RunAsync(BridgeSession session, CancellationToken stoppingToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _stop.Token);
        var token = linked.Token;
        using var subscription = session.Events.Subscribe(AdminEndpoints.WatcherCapacity);
        if (!await SendAsync(new(requestId, 0, FleetReply.Answer, StatusCodes.Status200OK)).ConfigureAwait(false))
        {
            return;
        }

        var reader = subscription.Events;
        Task<bool>? more = null;
        try
        {
            while (true)
            {
                // Checked on every turn, not only when quiet: a busy call must not keep feeding an asker that stopped renewing.
                if (timeProvider.GetElapsedTime(Volatile.Read(ref _lastRenewed)) > FleetAdminTimings.InterestLimit)
                {
                    return;
                }

                more ??= reader.WaitToReadAsync(token).AsTask();
                using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(token))
                {
                    var alive = Task.Delay(FleetAdminTimings.AlivePeriod, timeProvider, quiet.Token);
                    var first = await Task.WhenAny(more, alive).ConfigureAwait(false);
                    await quiet.CancelAsync().ConfigureAwait(false);
                    if (first != more)
                    {
                        token.ThrowIfCancellationRequested();
                        if (!await SendAsync(new(requestId, 0, FleetReply.Alive)).ConfigureAwait(false))
                        {
                            return;
                        }

                        continue;
                    }
                }

                var hasMore = await more.ConfigureAwait(false);
                more = null;
                if (!hasMore)
                {
                    await SendAsync(new(requestId, 0, FleetReply.End, Body: JsonSerializer.Serialize(session.Summary(), JsonSerializerOptions.Web))).ConfigureAwait(false);
                    return;
                }

                while (reader.TryRead(out var serverEvent))
                {
                    var dropped = subscription.TakeDropped();
                    if ((dropped > 0 && !await SendAsync(new(requestId, 0, FleetReply.DroppedKind, Dropped: dropped)).ConfigureAwait(false))
                        || !await SendAsync(new(requestId, 0, FleetReply.Event, Data: serverEvent)).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Unwatched, or this node stops.
        }
        finally
        {
            // A wait still pending ends only with the token: cancel it first, then observe it.
            await linked.CancelAsync().ConfigureAwait(false);
            if (more is not null)
            {
                await ((Task)more).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>False when nobody is subscribed to the reply channel any more: the asker is gone.</summary>
    private async Task<bool> SendAsync(FleetReply reply)
    {
        var message = FleetWire.Encode(reply with { Seq = Interlocked.Increment(ref _seq) }, secret, FleetWire.ReplyPurpose, timeProvider.GetUtcNow());
        return await subscriber.PublishAsync(FleetWire.Replies(requestId), message).ConfigureAwait(false) > 0;
    }
}
