using StackExchange.Redis;

namespace VoiceBridge.Cluster;

/// <summary>
/// The asking node's side of one routed admin request: subscribed to the request's reply channel before the command
/// is published (so no reply is missed), it reads the owner's signed replies in order; for an event stream it also
/// renews the asker's interest and notices the owner going quiet. Disposing it unsubscribes (and, for a stream,
/// tells the owner to stop).
/// </summary>
internal sealed class FleetExchange : IAsyncDisposable
{
    private readonly ISubscriber _subscriber;
    private readonly ChannelMessageQueue _queue;
    private readonly FleetCommand _command;
    private readonly string _secret;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _lifetime = new();
    private Task<ChannelMessage>? _pending;
    private long _lastSeq;
    private long _lastHeard;
    private long _lastRenewed;

    private FleetExchange(ISubscriber subscriber, ChannelMessageQueue queue, FleetCommand command, string secret, TimeProvider timeProvider, ILogger logger)
    {
        _subscriber = subscriber;
        _queue = queue;
        _command = command;
        _secret = secret;
        _timeProvider = timeProvider;
        _logger = logger;
        _lastHeard = _lastRenewed = timeProvider.GetTimestamp();
    }

    /// <summary>Subscribes, then publishes the command: null when no node listens on the owner's channel (it is gone).</summary>
    public static async Task<FleetExchange?> OpenAsync(IConnectionMultiplexer redis, FleetCommand command, string secret, TimeProvider timeProvider, ILogger logger)
    {
        var subscriber = redis.GetSubscriber();
        var queue = await subscriber.SubscribeAsync(FleetWire.Replies(command.Id)).ConfigureAwait(false);
        var exchange = new FleetExchange(subscriber, queue, command, secret, timeProvider, logger);
        try
        {
            var message = FleetWire.Encode(command, secret, FleetWire.CommandPurpose, timeProvider.GetUtcNow());
            if (await subscriber.PublishAsync(FleetWire.Commands(command.To), message).ConfigureAwait(false) > 0)
            {
                return exchange;
            }
        }
        catch
        {
            await exchange.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        await exchange.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>The owner's next reply, or null when none came within <paramref name="within"/>.</summary>
    public async Task<FleetReply?> ReadAsync(TimeSpan within, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var expired = Task.Delay(within, _timeProvider, deadline.Token);
        try
        {
            while (true)
            {
                _pending ??= _queue.ReadAsync(_lifetime.Token).AsTask();
                if (await Task.WhenAny(_pending, expired).ConfigureAwait(false) != _pending)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return null;
                }

                var message = await _pending.ConfigureAwait(false);
                _pending = null;
                var verdict = FleetWire.Decode<FleetReply>((byte[])message.Message!, _secret, FleetWire.ReplyPurpose, _timeProvider.GetUtcNow(), out var reply);
                if (verdict == FleetMessageVerdict.Accepted && (reply!.Id != _command.Id || reply.Seq <= _lastSeq))
                {
                    verdict = FleetMessageVerdict.Replayed;
                }

                if (verdict != FleetMessageVerdict.Accepted)
                {
                    ClusterLog.MessageRefused(_logger, _command.From, "reply", verdict);
                    continue;
                }

                _lastSeq = reply!.Seq;
                _lastHeard = _timeProvider.GetTimestamp();
                return reply;
            }
        }
        finally
        {
            await deadline.CancelAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The next message of a relayed event stream (<c>event</c>, <c>dropped</c>, <c>alive</c>, <c>end</c>), renewing the
    /// asker's interest on the way; null when the owner is gone: nobody takes the renewal any more, or the owner has
    /// been silent for <see cref="FleetAdminTimings.OwnerSilenceLimit"/> (it sends <c>alive</c> far more often).
    /// </summary>
    public async Task<FleetReply?> NextStreamMessageAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_timeProvider.GetElapsedTime(_lastRenewed) >= FleetAdminTimings.RenewPeriod)
            {
                _lastRenewed = _timeProvider.GetTimestamp();
                if (!await PublishAsync(FleetCommand.Renew).ConfigureAwait(false))
                {
                    return null;
                }
            }

            var silence = FleetAdminTimings.OwnerSilenceLimit - _timeProvider.GetElapsedTime(_lastHeard);
            if (silence <= TimeSpan.Zero)
            {
                return null;
            }

            var untilRenew = FleetAdminTimings.RenewPeriod - _timeProvider.GetElapsedTime(_lastRenewed);
            var wait = untilRenew < silence ? untilRenew : silence;
            if (await ReadAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, cancellationToken).ConfigureAwait(false) is { } reply)
            {
                return reply;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_command.Action == Admin.AdminActions.Watch)
        {
            // So the owner stops at once rather than after InterestLimit; if this fails, that limit still stops it.
            await PublishAsync(FleetCommand.Unwatch).ConfigureAwait(false);
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            await _queue.UnsubscribeAsync().ConfigureAwait(false);
            if (_pending is not null)
            {
                await ((Task)_pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            // Redis is gone too: the subscription went with the connection.
        }

        _lifetime.Dispose();
    }

    /// <summary>A renew or unwatch for this stream; false when nobody took it (the owner is gone) or Redis failed.</summary>
    private async Task<bool> PublishAsync(string action)
    {
        var command = _command with { Id = FleetWire.NewId(), Action = action, Watch = _command.Id, Event = null, Reason = null };
        try
        {
            var message = FleetWire.Encode(command, _secret, FleetWire.CommandPurpose, _timeProvider.GetUtcNow());
            return await _subscriber.PublishAsync(FleetWire.Commands(command.To), message).ConfigureAwait(false) > 0;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            ClusterLog.Unreachable(_logger, _command.From, _command.To, action, _command.Session, e.GetType().Name);
            return false;
        }
    }
}
