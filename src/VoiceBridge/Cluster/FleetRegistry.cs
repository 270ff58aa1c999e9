using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using VoiceBridge.Diagnostics;
using VoiceBridge.Limits;

namespace VoiceBridge.Cluster;

/// <summary>
/// This node's part of the fleet: registers its sessions in Redis under the node's lease, checks the fleet-wide limits
/// atomically there, and renews the lease (<see cref="FleetHeartbeat"/>). Redis is never on a call's path once it has
/// started: when Redis cannot be reached, admission falls back to the node's local limits, no call is ended, and the
/// node registers everything it holds again once Redis answers (<see cref="BeatAsync"/>).
/// </summary>
internal sealed partial class FleetRegistry : IAsyncDisposable
{
    public const string KeyPrefix = "voicebridge:fleet:";

    private const int MaxResyncRounds = 3;

    private readonly ClusterOptions _options;
    private readonly LimitsOptions _limits;
    private readonly ILogger<FleetRegistry> _logger;

    /// <summary>The sessions this node holds (session id → client key), whether or not Redis has them.</summary>
    private readonly ConcurrentDictionary<string, string> _local = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<IConnectionMultiplexer> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ConnectionMultiplexer? _redis;
    private long _version;
    private volatile bool _needsResync = true;

    /// <summary>0 unknown (not tried yet), 1 connected, 2 disconnected.</summary>
    private int _state;

    public FleetRegistry(IOptions<ClusterOptions> options, IOptions<LimitsOptions> limits, BridgeMetrics metrics, ILogger<FleetRegistry> logger)
    {
        _options = options.Value;
        _limits = limits.Value;
        _logger = logger;
        NodeId = _options.EffectiveNodeId;
        if (Enabled)
        {
            // Present only in a fleet: a single node has nothing to be connected to.
            metrics.Meter.CreateObservableGauge(
                "voicebridge.cluster.connected",
                () => IsConnected ? 1 : 0,
                unit: null,
                description: "1 while this node reaches the fleet's Redis, 0 while it serves under its local limits only.");
        }
    }

    public bool Enabled => _options.Enabled;

    public string NodeId { get; }

    public bool IsConnected => Volatile.Read(ref _state) == 1;

    /// <summary>The fleet's Redis connection once <see cref="ConnectAsync"/> has run (other fleet services share it); null before.</summary>
    internal IConnectionMultiplexer? Connection => _redis;

    /// <summary>Sessions this node holds (tests and diagnostics).</summary>
    public int LocalCount => _local.Count;

    /// <summary>The connection, once <see cref="ConnectAsync"/> made it (the admin routing's pub/sub shares it).</summary>
    internal IConnectionMultiplexer? Multiplexer => _redis;

    /// <summary>Completes when <see cref="ConnectAsync"/> made the connection (Redis itself may still be down).</summary>
    internal Task<IConnectionMultiplexer> StartedAsync(CancellationToken cancellationToken) => _started.Task.WaitAsync(cancellationToken);

    private long LeaseMs => (long)_options.LeaseTime.TotalMilliseconds;

    /// <summary>Starts the connection; it completes even when Redis is down (the client keeps reconnecting by itself).</summary>
    public async Task ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(_options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.ReconnectRetryPolicy = new LinearRetry(1000);
        var text = _options.Redis!;
        if (!text.Contains("connectTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            configuration.ConnectTimeout = 2000;
        }

        // A Redis that hangs must not hold an upgrade for long: past this, the node admits under its local limits.
        if (!text.Contains("asyncTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            configuration.AsyncTimeout = 1000;
        }

        if (!text.Contains("syncTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            configuration.SyncTimeout = 1000;
        }

        _redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        _started.TrySetResult(_redis);
    }

    /// <summary>
    /// Checks the fleet-wide <c>Limits:ConnectsPerMinutePerIp</c> for an upgrade from <paramref name="address"/>:
    /// null = allowed (or Redis unreachable: the node's own limiter still applies), else how long to wait.
    /// </summary>
    public async ValueTask<TimeSpan?> CheckRateAsync(string address)
    {
        if (!Enabled || !IsConnected || _redis is null)
        {
            return null;
        }

        try
        {
            var wait = (long)await _redis.GetDatabase().ScriptEvaluateAsync(FleetScripts.RateLimit, values:
            [
                KeyPrefix, address, _limits.ConnectsPerMinutePerIp, 60_000, Guid.NewGuid().ToString("N"),
            ]).ConfigureAwait(false);
            return wait > 0 ? TimeSpan.FromMilliseconds(wait) : null;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Disconnected(e);
            return null;
        }
    }

    /// <summary>
    /// Admits and registers a session under the fleet-wide limits (the local ones are already checked). Admitted with
    /// a registration to dispose when the session ends; without Redis, admitted on the local limits alone.
    /// </summary>
    public async ValueTask<FleetAdmission> TryAdmitAsync(string sessionId, string clientKey)
    {
        if (!Enabled)
        {
            return FleetAdmission.Admitted(null);
        }

        if (IsConnected && _redis is { } redis)
        {
            try
            {
                var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(FleetScripts.Admit, values:
                [
                    KeyPrefix, NodeId, sessionId, clientKey, LeaseMs, _options.MaxFleetSessions, _limits.MaxSessionsPerClient,
                ]).ConfigureAwait(false))!;
                if ((int)result[1] == 1)
                {
                    _needsResync = true;
                }

                switch ((int)result[0])
                {
                    case 1:
                        return FleetAdmission.Refused(AdmissionVerdict.ServerFull);
                    case 2:
                        return FleetAdmission.Refused(AdmissionVerdict.ClientFull);
                }

                return FleetAdmission.Admitted(Track(sessionId, clientKey));
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                Disconnected(e);
            }
        }

        // Not in Redis yet: the next heartbeat that reaches Redis registers it with the rest.
        _needsResync = true;
        return FleetAdmission.Admitted(Track(sessionId, clientKey));
    }

    /// <summary>
    /// One heartbeat: renews the node's lease, or registers all its sessions again when Redis lost them (an outage,
    /// a lapsed lease, a registration that failed); updates the connected state. Never throws for Redis trouble.
    /// </summary>
    public async Task BeatAsync()
    {
        if (_redis is null)
        {
            return;
        }

        try
        {
            var db = _redis.GetDatabase();
            if (!_needsResync && (long)await db.ScriptEvaluateAsync(FleetScripts.Renew, values: [KeyPrefix, NodeId, LeaseMs]).ConfigureAwait(false) == 0)
            {
                Connected();
                return;
            }

            // Sessions that start or end while this runs bump the version: sync again at once (a Redis coming back runs
            // the script the client held meanwhile, made from an older list), so that "connected" means "registered".
            // Past a few rounds of churn, the next beat syncs again.
            _needsResync = false;
            var registered = 0;
            for (var round = 0; round < MaxResyncRounds; round++)
            {
                var version = Interlocked.Read(ref _version);
                var snapshot = _local.ToArray();
                var values = new RedisValue[3 + (2 * snapshot.Length)];
                values[0] = KeyPrefix;
                values[1] = NodeId;
                values[2] = LeaseMs;
                for (var i = 0; i < snapshot.Length; i++)
                {
                    values[3 + (2 * i)] = snapshot[i].Key;
                    values[4 + (2 * i)] = snapshot[i].Value;
                }

                await db.ScriptEvaluateAsync(FleetScripts.Resync, values: values).ConfigureAwait(false);
                registered = snapshot.Length;
                if (Interlocked.Read(ref _version) == version)
                {
                    break;
                }

                _needsResync = round == MaxResyncRounds - 1;
            }

            Connected();
            ClusterLog.Registered(_logger, NodeId, registered);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            _needsResync = true;
            Disconnected(e);
        }
    }

    /// <summary>Publishes this node's admin list (JSON) for the other nodes; it expires with the lease.</summary>
    public async Task PublishListAsync(string json)
    {
        if (_redis is null || !IsConnected)
        {
            return;
        }

        try
        {
            await _redis.GetDatabase().StringSetAsync(KeyPrefix + "list:" + NodeId, json, _options.LeaseTime).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Disconnected(e);
        }
    }

    /// <summary>The admin lists the other live nodes published; none while Redis cannot be reached.</summary>
    public async Task<string[]> OtherNodesListsAsync()
    {
        if (_redis is null || !IsConnected)
        {
            return [];
        }

        try
        {
            var lists = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(FleetScripts.OtherLists, values: [KeyPrefix, NodeId]).ConfigureAwait(false))!;
            return [.. lists.Select(list => (string)list!)];
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Disconnected(e);
            return [];
        }
    }

    /// <summary>A clean stop takes the node's sessions out of the fleet at once instead of at the lease's end.</summary>
    public async Task LeaveAsync()
    {
        if (_redis is null || !IsConnected)
        {
            return;
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(FleetScripts.Leave, values: [KeyPrefix, NodeId]).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            Disconnected(e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_redis is { } redis)
        {
            await redis.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The client's exceptions carry endpoints, never the password; still only their type is logged.</summary>
    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;

    private Registration Track(string sessionId, string clientKey)
    {
        _local[sessionId] = clientKey;
        Interlocked.Increment(ref _version);
        return new Registration(this, sessionId, clientKey);
    }

    private async ValueTask UnregisterAsync(string sessionId, string clientKey)
    {
        _local.TryRemove(sessionId, out _);
        Interlocked.Increment(ref _version);
        if (!IsConnected || _redis is null)
        {
            _needsResync = true;
            return;
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(FleetScripts.Unregister, values: [KeyPrefix, NodeId, sessionId, clientKey]).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            _needsResync = true;
            Disconnected(e);
        }
    }

    private void Connected()
    {
        if (Interlocked.Exchange(ref _state, 1) != 1)
        {
            ClusterLog.Connected(_logger, NodeId, Endpoints());
        }
    }

    private void Disconnected(Exception e)
    {
        _needsResync = true;
        if (Interlocked.Exchange(ref _state, 2) != 2)
        {
            ClusterLog.Disconnected(_logger, NodeId, Endpoints(), e.GetType().Name);
        }
    }

    /// <summary>host:port of each configured endpoint: what a log may say about Redis (never the password).</summary>
    internal string Endpoints() =>
        string.Join(",", ConfigurationOptions.Parse(_options.Redis!).EndPoints.Select(endpoint => endpoint switch
        {
            System.Net.DnsEndPoint dns => dns.Host + ":" + dns.Port.ToString(CultureInfo.InvariantCulture),
            _ => endpoint.ToString(),
        }));

    private sealed class Registration(FleetRegistry owner, string sessionId, string clientKey) : IAsyncDisposable
    {
        private FleetRegistry? _owner = owner;

        public ValueTask DisposeAsync() => Interlocked.Exchange(ref _owner, null) is { } o ? o.UnregisterAsync(sessionId, clientKey) : ValueTask.CompletedTask;
    }
}

internal readonly record struct FleetAdmission(AdmissionVerdict Verdict, IAsyncDisposable? Registration)
{
    public static FleetAdmission Admitted(IAsyncDisposable? registration) => new(AdmissionVerdict.Admitted, registration);

    public static FleetAdmission Refused(AdmissionVerdict verdict) => new(verdict, null);
}
