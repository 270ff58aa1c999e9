using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using VoiceBridge.Admin;
using VoiceBridge.Sessions;

namespace VoiceBridge.Cluster;

/// <summary>
/// The owner's side of admin routing: listens on this node's command channel (<c>voicebridge:fleet:cmd:&lt;NodeId&gt;</c>),
/// runs each signed command on its session through <see cref="AdminActions"/> (what the local route runs) and publishes
/// the answer on the request's reply channel. A command that is unsigned, badly signed, older than
/// <see cref="FleetSignature.MaxAge"/>, addressed to another node or already seen is ignored, with one warning (event
/// 114) that names the reason and never the payload. Every command runs as a task this service tracks and awaits on stop.
/// </summary>
internal sealed class FleetCommandListener : BackgroundService
{
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromSeconds(1);

    private readonly FleetRegistry _registry;
    private readonly SessionRegistry _sessions;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetCommandListener> _logger;
    private readonly ILogger<AdminAudit> _audit;
    private readonly FleetReplayGuard _replays;
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FleetWatchPublisher> _watches = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FleetCommandListener(FleetRegistry registry, SessionRegistry sessions, IOptions<ClusterOptions> options, TimeProvider timeProvider, ILogger<FleetCommandListener> logger, ILogger<AdminAudit> audit)
    {
        _registry = registry;
        _sessions = sessions;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _audit = audit;
        _replays = new FleetReplayGuard(timeProvider);
    }

    /// <summary>Completes once this node is subscribed to its command channel: from then other nodes can route to it.</summary>
    public Task Listening => _listening.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_registry.Enabled)
        {
            return;
        }

        var redis = await _registry.StartedAsync(stoppingToken).ConfigureAwait(false);
        var channel = FleetWire.Commands(_registry.NodeId);
        var queue = await SubscribeAsync(redis, channel, stoppingToken).ConfigureAwait(false);
        _listening.TrySetResult();
        try
        {
            while (true)
            {
                var message = await queue.ReadAsync(stoppingToken).ConfigureAwait(false);
                try
                {
                    Dispatch(redis.GetSubscriber(), (byte[]?)message.Message ?? [], stoppingToken);
                }
                catch (Exception e)
                {
                    // One bad message must not stop the listener (nor, through BackgroundService, the host).
                    ClusterLog.CommandFailed(_logger, e, _registry.NodeId, "dispatch", "-", "-");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node stops.
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            // The connection was disposed under it.
        }
        finally
        {
            foreach (var watch in _watches.Values)
            {
                watch.Stop();
            }

            // Never throw: each logs its own failure.
            await Task.WhenAll(_running.Values).ConfigureAwait(false);
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Redis is gone: the subscription went with the connection.
            }
        }
    }

    /// <summary>
    /// Subscribes once Redis answers. The client restores the subscription by itself after an outage; a subscribe that
    /// fails is undone before the next try, so a command is never delivered twice.
    /// </summary>
    private async Task<ChannelMessageQueue> SubscribeAsync(IConnectionMultiplexer redis, RedisChannel channel, CancellationToken stoppingToken)
    {
        var subscriber = redis.GetSubscriber();
        while (true)
        {
            if (redis.IsConnected)
            {
                try
                {
                    return await subscriber.SubscribeAsync(channel).WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    try
                    {
                        await subscriber.UnsubscribeAsync(channel).ConfigureAwait(false);
                    }
                    catch (Exception again) when (again is RedisException or TimeoutException)
                    {
                        ClusterLog.Unreachable(_logger, _registry.NodeId, _registry.NodeId, "subscribe", "-", again.GetType().Name);
                    }
                }
            }

            await Task.Delay(RetryPeriod, _timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    private void Dispatch(ISubscriber subscriber, byte[] message, CancellationToken stoppingToken)
    {
        var verdict = FleetWire.Decode<FleetCommand>(message, _options.Secret!, FleetWire.CommandPurpose, _timeProvider.GetUtcNow(), out var command);
        if (verdict == FleetMessageVerdict.Accepted && Incomplete(command!))
        {
            verdict = FleetMessageVerdict.Unreadable;
        }

        if (verdict == FleetMessageVerdict.Accepted && command!.To != _registry.NodeId)
        {
            verdict = FleetMessageVerdict.OtherNode;
        }

        // Last, so only a command that is genuine, young and for this node takes a place in the guard.
        if (verdict == FleetMessageVerdict.Accepted && !_replays.TryAccept(command!.Id))
        {
            verdict = FleetMessageVerdict.Replayed;
        }

        if (verdict != FleetMessageVerdict.Accepted)
        {
            ClusterLog.MessageRefused(_logger, _registry.NodeId, "command", verdict);
            return;
        }

        switch (command!.Action)
        {
            case FleetCommand.Renew when command.Watch is { } id && _watches.TryGetValue(id, out var watch):
                watch.Renew();
                return;
            case FleetCommand.Unwatch when command.Watch is { } id && _watches.TryGetValue(id, out var watch):
                watch.Stop();
                return;
            case FleetCommand.Renew or FleetCommand.Unwatch:
                return;
        }

        var task = RunAsync(subscriber, command, stoppingToken);
        _running[command.Id] = task;
        if (task.IsCompleted)
        {
            _running.TryRemove(command.Id, out _);
        }
    }

    /// <summary>Signed by a node, yet missing a field (a node of another version, say): nothing to act on.</summary>
    private static bool Incomplete(FleetCommand command) => command.Id is null || command.From is null || command.Action is null || command.Session is null;

    private async Task RunAsync(ISubscriber subscriber, FleetCommand command, CancellationToken stoppingToken)
    {
        try
        {
            AdminAudit.Action(_audit, command.Action, command.Session, "node " + command.From);
            if (!_sessions.TryGet(command.Session, out var session))
            {
                await ReplyAsync(subscriber, command, AdminActions.UnknownSession(command.Session)).ConfigureAwait(false);
                return;
            }

            if (command.Action == AdminActions.Watch)
            {
                using var watch = new FleetWatchPublisher(subscriber, command.Id, _options.Secret!, _timeProvider);
                _watches[command.Id] = watch;
                try
                {
                    await watch.RunAsync(session!, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    _watches.TryRemove(command.Id, out _);
                }

                return;
            }

            // The asker gives up after ReplyTimeout: an answer later than that would reach nobody.
            using var timeout = new CancellationTokenSource(FleetAdminTimings.ReplyTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken);
            var outcome = await AdminActions.ExecuteAsync(session!, command.Action, command.Event, command.Reason, linked.Token).ConfigureAwait(false);
            await ReplyAsync(subscriber, command, outcome).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node stops; the asker answers 502.
        }
        catch (Exception e)
        {
            ClusterLog.CommandFailed(_logger, e, _registry.NodeId, command.Action, command.Session, command.From);
        }
        finally
        {
            _running.TryRemove(command.Id, out _);
        }
    }

    private async Task ReplyAsync(ISubscriber subscriber, FleetCommand command, AdminOutcome outcome)
    {
        var reply = new FleetReply(command.Id, 1, FleetReply.Answer, outcome.Status, outcome.BodyJson());
        await subscriber.PublishAsync(FleetWire.Replies(command.Id), FleetWire.Encode(reply, _options.Secret!, FleetWire.ReplyPurpose, _timeProvider.GetUtcNow())).ConfigureAwait(false);
    }
}
