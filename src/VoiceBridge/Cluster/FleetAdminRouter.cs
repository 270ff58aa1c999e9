using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace VoiceBridge.Cluster;

/// <summary>
/// Admin actions on a session another node holds: finds that node in the registry and routes the action to it over
/// Redis pub/sub (<see cref="FleetExchange"/>); the node runs it as its own admin route would
/// (<see cref="FleetCommandListener"/>). Off (every session unknown) unless the fleet is enabled.
/// </summary>
internal sealed class FleetAdminRouter
{
    /// <summary>
    /// ARGV: prefix, session. Returns {node, 1 if its lease holds else 0}, or an empty list when no node has the
    /// session. A node whose lease lapsed keeps its hash until an admission forgets it: then it is unreachable, not unknown.
    /// </summary>
    private const string OwnerScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local p, sid = ARGV[1], ARGV[2]
        local nodes = redis.call('ZRANGE', p .. 'nodes', 0, -1, 'WITHSCORES')
        for i = 1, #nodes, 2 do
          if redis.call('HEXISTS', p .. 'node:' .. nodes[i], sid) == 1 then
            if tonumber(nodes[i + 1]) > now then return {nodes[i], 1} end
            return {nodes[i], 0}
          end
        end
        return {}
        """;

    private readonly FleetRegistry _registry;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetAdminRouter> _logger;

    public FleetAdminRouter(FleetRegistry registry, IOptions<ClusterOptions> options, TimeProvider timeProvider, ILogger<FleetAdminRouter> logger)
    {
        _registry = registry;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Which node holds a session this node does not: none (404), one to ask, or one that cannot be asked (502).</summary>
    public async Task<FleetOwner> FindOwnerAsync(string sessionId, string action)
    {
        if (!_registry.Enabled)
        {
            return FleetOwner.None;
        }

        // Without Redis nobody can say whether another node holds it, nor ask that node.
        if (!_registry.IsConnected || _registry.Multiplexer is not { } redis)
        {
            ClusterLog.Unreachable(_logger, _registry.NodeId, "?", action, sessionId, "Redis unreachable");
            return FleetOwner.Unreachable;
        }

        try
        {
            var found = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(OwnerScript, values: [FleetRegistry.KeyPrefix, sessionId]).ConfigureAwait(false))!;
            if (found.Length == 0)
            {
                return FleetOwner.None;
            }

            var node = (string)found[0]!;
            if (node == _registry.NodeId)
            {
                // Still registered here for an instant after it ended: it is gone, as on one node.
                return FleetOwner.None;
            }

            if ((int)found[1] == 0)
            {
                ClusterLog.Unreachable(_logger, _registry.NodeId, node, action, sessionId, "its lease lapsed");
                return FleetOwner.Unreachable;
            }

            return new FleetOwner(node);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            ClusterLog.Unreachable(_logger, _registry.NodeId, "?", action, sessionId, e.GetType().Name);
            return FleetOwner.Unreachable;
        }
    }

    /// <summary>Runs an action on the owner and returns its answer; null when it did not answer within <see cref="FleetAdminTimings.ReplyTimeout"/>.</summary>
    public async Task<FleetReply?> SendAsync(string node, string action, string sessionId, byte[]? clientEvent, string? reason, CancellationToken cancellationToken)
    {
        var started = _timeProvider.GetTimestamp();
        await using var exchange = await OpenAsync(node, action, sessionId, clientEvent, reason).ConfigureAwait(false);
        if (exchange is null)
        {
            return null;
        }

        FleetReply? reply;
        try
        {
            reply = await exchange.ReadAsync(FleetAdminTimings.ReplyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e) || e is System.Threading.Channels.ChannelClosedException)
        {
            ClusterLog.Unreachable(_logger, _registry.NodeId, node, action, sessionId, e.GetType().Name);
            return null;
        }

        if (reply is not { Kind: FleetReply.Answer })
        {
            ClusterLog.Unreachable(_logger, _registry.NodeId, node, action, sessionId, "no answer in time");
            return null;
        }

        ClusterLog.Routed(_logger, _registry.NodeId, action, sessionId, node, reply.Status, (long)_timeProvider.GetElapsedTime(started).TotalMilliseconds);
        return reply;
    }

    /// <summary>Asks the owner for the session's events; null when the owner cannot be reached. The caller reads the answer first.</summary>
    public Task<FleetExchange?> WatchAsync(string node, string sessionId) => OpenAsync(node, Admin.AdminActions.Watch, sessionId, null, null);

    private async Task<FleetExchange?> OpenAsync(string node, string action, string sessionId, byte[]? clientEvent, string? reason)
    {
        if (_registry.Multiplexer is not { } redis)
        {
            return null;
        }

        try
        {
            var command = new FleetCommand(FleetWire.NewId(), _registry.NodeId, node, action, sessionId, Reason: reason, Event: clientEvent);
            var exchange = await FleetExchange.OpenAsync(redis, command, _options.Secret!, _timeProvider, _logger).ConfigureAwait(false);
            if (exchange is null)
            {
                ClusterLog.Unreachable(_logger, _registry.NodeId, node, action, sessionId, "no node listens on its channel");
            }

            return exchange;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            ClusterLog.Unreachable(_logger, _registry.NodeId, node, action, sessionId, e.GetType().Name);
            return null;
        }
    }

    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;
}
