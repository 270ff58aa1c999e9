using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using VoiceBridge.Sessions;

namespace VoiceBridge.Cluster;

/// <summary>
/// Which node holds the session of a resume token, for a resume that lands on another node (<see cref="ResumeRelay"/>).
/// Redis holds, per node, a hash <c>voicebridge:fleet:resume:&lt;NodeId&gt;</c> of token key (the hex SHA-256 of a live
/// token: never the token, which stays 256 random bits only its browser knows) → session id, and the node's
/// <c>InternalUrl</c> under <c>voicebridge:fleet:url:&lt;NodeId&gt;</c>; both expire <c>LeaseTime</c> after the node's
/// last renewal, so a dead node leaves nothing behind. Tokens are recorded here synchronously (a dictionary write and a
/// wake) and written to Redis by this service's own loop: issuing a token never waits for Redis, and a Redis that fails
/// is logged (event 124) and made good by a full rewrite once it answers, never a failed call.
/// </summary>
internal sealed class FleetResumeDirectory : BackgroundService, IResumeTokenListener
{
    /// <summary>
    /// ARGV: prefix, token key. The first node whose lease holds (on Redis's clock) and whose hash has the key:
    /// {node, internal url}; empty when none does (unknown or spent token, or its node is gone).
    /// </summary>
    private const string FindOwnerScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local p, key = ARGV[1], ARGV[2]
        for _, node in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '(' .. now, '+inf')) do
          if redis.call('HEXISTS', p .. 'resume:' .. node, key) == 1 then
            return {node, redis.call('GET', p .. 'url:' .. node) or ''}
          end
        end
        return {}
        """;

    private readonly FleetRegistry _registry;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetResumeDirectory> _logger;

    /// <summary>This node's live tokens (key → session id): what Redis should hold for it.</summary>
    private readonly ConcurrentDictionary<string, string> _live = new(StringComparer.Ordinal);

    /// <summary>Changes not written yet, the latest per key (a session id, or empty for a removal): bounded by the live tokens.</summary>
    private readonly ConcurrentDictionary<string, string> _pending = new(StringComparer.Ordinal);

    /// <summary>A coalescing wake: a full channel already means "flush", so a dropped write loses nothing.</summary>
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private volatile bool _needsResync = true;
    private bool _failing;

    public FleetResumeDirectory(FleetRegistry registry, IOptions<ClusterOptions> options, TimeProvider timeProvider, ILogger<FleetResumeDirectory> logger)
    {
        _registry = registry;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public bool Enabled => _registry.Enabled;

    private RedisKey TokensKey => FleetRegistry.KeyPrefix + "resume:" + _registry.NodeId;

    private RedisKey UrlKey => FleetRegistry.KeyPrefix + "url:" + _registry.NodeId;

    public void Issued(string key, string sessionId)
    {
        if (!Enabled)
        {
            return;
        }

        _live[key] = sessionId;
        _pending[key] = sessionId;
        _wake.Writer.TryWrite(true);
    }

    public void Spent(string key)
    {
        if (!Enabled)
        {
            return;
        }

        _live.TryRemove(key, out _);
        _pending[key] = string.Empty;
        _wake.Writer.TryWrite(true);
    }

    /// <summary>The node that holds the token's session, as Redis says; null when none (or Redis cannot be asked).</summary>
    public async Task<ResumeOwner?> FindOwnerAsync(string key)
    {
        if (!Enabled || _registry.Connection is not { } redis)
        {
            return null;
        }

        try
        {
            var found = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(FindOwnerScript, values: [FleetRegistry.KeyPrefix, key]).ConfigureAwait(false))!;
            return found.Length == 2 ? new ResumeOwner((string)found[0]!, (string)found[1]!) : null;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            return null;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (Enabled && _registry.Connection is { IsConnected: true } redis)
        {
            try
            {
                // A clean stop: other nodes answer 404 at once instead of relaying to a node that is going away.
                await redis.GetDatabase().KeyDeleteAsync([TokensKey, UrlKey]).ConfigureAwait(false);
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                // The keys expire with the lease all the same.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        using var timer = new PeriodicTimer(FleetHeartbeat.Period(_options.LeaseTime), _timeProvider);
        Task<bool>? woken = null;
        Task<bool>? tick = null;
        while (true)
        {
            woken ??= _wake.Reader.WaitToReadAsync(stoppingToken).AsTask();
            tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
            var done = await Task.WhenAny(woken, tick).ConfigureAwait(false);
            if (!await done.ConfigureAwait(false))
            {
                return;
            }

            if (done == woken)
            {
                woken = null;
                _wake.Reader.TryRead(out _);
                await WriteAsync(renew: false).ConfigureAwait(false);
            }
            else
            {
                tick = null;
                await WriteAsync(renew: true).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Writes what changed (or everything, after a failure or an expiry) and, on a beat, renews the keys' lifetime.</summary>
    private async Task WriteAsync(bool renew)
    {
        if (_registry.Connection is not { } redis)
        {
            return;
        }

        try
        {
            var db = redis.GetDatabase();
            if (renew && !_needsResync)
            {
                var url = db.StringSetAsync(UrlKey, _options.InternalUrl, _options.LeaseTime);
                var kept = db.KeyExpireAsync(TokensKey, _options.LeaseTime);
                await url.ConfigureAwait(false);

                // Gone while this node holds tokens: Redis lost its data, or the node was away longer than the lease.
                if (!await kept.ConfigureAwait(false) && !_live.IsEmpty)
                {
                    _needsResync = true;
                }
            }

            if (_needsResync)
            {
                await ResyncAsync(db).ConfigureAwait(false);
            }
            else if (!_pending.IsEmpty)
            {
                await FlushAsync(db).ConfigureAwait(false);
            }

            _failing = false;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            _needsResync = true;
            if (!_failing)
            {
                _failing = true;
                RelayLog.DirectoryWriteFailed(_logger, _registry.NodeId, e.GetType().Name);
            }
        }
    }

    private async Task FlushAsync(IDatabase db)
    {
        var added = new List<HashEntry>();
        var removed = new List<RedisValue>();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var sessionId))
            {
                if (sessionId.Length == 0)
                {
                    removed.Add(key);
                }
                else
                {
                    added.Add(new HashEntry(key, sessionId));
                }
            }
        }

        // One transaction, the expiry last: a hash that HSET has just created never lives without one.
        var transaction = db.CreateTransaction();
        var writes = new List<Task>(3);
        if (added.Count > 0)
        {
            writes.Add(transaction.HashSetAsync(TokensKey, [.. added]));
        }

        if (removed.Count > 0)
        {
            writes.Add(transaction.HashDeleteAsync(TokensKey, [.. removed]));
        }

        writes.Add(transaction.KeyExpireAsync(TokensKey, _options.LeaseTime));
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            _needsResync = true;
            return;
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    private async Task ResyncAsync(IDatabase db)
    {
        // Changes recorded before the snapshot are in it; those after it stay pending and are written next (idempotent).
        _pending.Clear();
        var snapshot = _live.ToArray();
        var transaction = db.CreateTransaction();
        var writes = new List<Task>(4)
        {
            transaction.KeyDeleteAsync(TokensKey),
            transaction.StringSetAsync(UrlKey, _options.InternalUrl, _options.LeaseTime),
        };
        if (snapshot.Length > 0)
        {
            writes.Add(transaction.HashSetAsync(TokensKey, [.. snapshot.Select(entry => new HashEntry(entry.Key, entry.Value))]));
            writes.Add(transaction.KeyExpireAsync(TokensKey, _options.LeaseTime));
        }

        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            return;
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
        _needsResync = false;
        RelayLog.DirectoryResynced(_logger, _registry.NodeId, snapshot.Length);
    }

    /// <summary>As <see cref="FleetRegistry"/>: the client's exceptions carry endpoints, never the password; only their type is logged.</summary>
    private static bool IsRedisFailure(Exception e) => e is RedisException or TimeoutException or ObjectDisposedException;
}

/// <summary>The node that holds a session, and where other nodes reach it.</summary>
internal sealed record ResumeOwner(string NodeId, string InternalUrl);
