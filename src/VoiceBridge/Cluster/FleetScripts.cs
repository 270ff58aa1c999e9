namespace VoiceBridge.Cluster;

/// <summary>
/// The Lua scripts behind the fleet registry. Each runs atomically in Redis, so every check-then-count is one step
/// (no read-then-write race between nodes), and each takes its clock from Redis (<c>TIME</c>), so nodes whose clocks
/// disagree still agree on leases. Keys (all under <see cref="FleetRegistry.KeyPrefix"/>):
/// <list type="bullet">
/// <item><c>nodes</c>: sorted set, node id → lease expiry (ms, Redis time);</item>
/// <item><c>node:{id}</c>: hash, session id → client key, the node's sessions (it counts while its lease holds);</item>
/// <item><c>client:{key}</c>: set of <c>{session}@{node}</c>; every script that removes a session from a node's hash
/// (unregister, forgetting a dead or resyncing node) removes it here in the same step, so its size is the client's count;</item>
/// <item><c>rate:{ip}</c>: sorted set of upgrade attempts in the last minute;</item>
/// <item><c>list:{id}</c>: the node's admin list (JSON), as of its last heartbeat, expiring with its lease.</item>
/// </list>
/// The scripts name keys they compute (a node's hash from the node list), so the fleet needs one Redis primary
/// (with replicas or Sentinel if wanted), not Redis Cluster.
/// </summary>
internal static class FleetScripts
{
    private const string Now = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        """;

    /// <summary>Forgets a node: its sessions leave their clients' sets, its hash and its lease go.</summary>
    private const string ForgetFunction = """
        local function forget(p, node)
          local key = p .. 'node:' .. node
          local entries = redis.call('HGETALL', key)
          for i = 1, #entries, 2 do
            local ck = p .. 'client:' .. entries[i + 1]
            redis.call('SREM', ck, entries[i] .. '@' .. node)
            if redis.call('SCARD', ck) == 0 then redis.call('DEL', ck) end
          end
          redis.call('DEL', key, p .. 'list:' .. node)
          redis.call('ZREM', p .. 'nodes', node)
        end
        """;

    /// <summary>
    /// ARGV: prefix, node, session, client key, lease ms, max fleet sessions (0 = none), max sessions per client.
    /// Returns {verdict, lapsed}: verdict 0 admitted (and registered), 1 fleet full, 2 client full; lapsed 1 when this
    /// node held no lease (its other sessions are missing: the node must register them all again).
    /// </summary>
    public const string Admit = Now + "\n" + ForgetFunction + "\n" + """
        local p, node, sid, client = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        local lease, maxFleet, maxClient = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
        local nodes = p .. 'nodes'
        for _, dead in ipairs(redis.call('ZRANGEBYSCORE', nodes, '-inf', now)) do forget(p, dead) end
        local lapsed = 0
        if not redis.call('ZSCORE', nodes, node) then lapsed = 1 end
        if maxFleet > 0 then
          local total = 0
          for _, live in ipairs(redis.call('ZRANGE', nodes, 0, -1)) do
            total = total + redis.call('HLEN', p .. 'node:' .. live)
          end
          if total >= maxFleet then return {1, lapsed} end
        end
        local ck = p .. 'client:' .. client
        if redis.call('SCARD', ck) >= maxClient then return {2, lapsed} end
        redis.call('HSET', p .. 'node:' .. node, sid, client)
        redis.call('SADD', ck, sid .. '@' .. node)
        if lapsed == 1 then redis.call('ZADD', nodes, now + lease, node) end
        return {0, lapsed}
        """;

    /// <summary>ARGV: prefix, node, session, client key. Removes one session.</summary>
    public const string Unregister = """
        local p, node, sid, client = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
        redis.call('HDEL', p .. 'node:' .. node, sid)
        local ck = p .. 'client:' .. client
        redis.call('SREM', ck, sid .. '@' .. node)
        if redis.call('SCARD', ck) == 0 then redis.call('DEL', ck) end
        return 0
        """;

    /// <summary>ARGV: prefix, node, lease ms. Extends the node's lease; returns 1 (and extends nothing) when it had lapsed.</summary>
    public const string Renew = Now + "\n" + """
        local p, node, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
        local expiry = redis.call('ZSCORE', p .. 'nodes', node)
        if not expiry or tonumber(expiry) <= now then return 1 end
        redis.call('ZADD', p .. 'nodes', now + lease, node)
        return 0
        """;

    /// <summary>
    /// ARGV: prefix, node, lease ms, then session/client-key pairs: replaces what the fleet holds for this node with
    /// exactly these sessions (after an outage or a lapsed lease) and renews its lease. Caps are not checked: these
    /// calls are already live.
    /// </summary>
    public const string Resync = Now + "\n" + ForgetFunction + "\n" + """
        local p, node, lease = ARGV[1], ARGV[2], tonumber(ARGV[3])
        forget(p, node)
        local key = p .. 'node:' .. node
        for i = 4, #ARGV - 1, 2 do
          redis.call('HSET', key, ARGV[i], ARGV[i + 1])
          redis.call('SADD', p .. 'client:' .. ARGV[i + 1], ARGV[i] .. '@' .. node)
        end
        redis.call('ZADD', p .. 'nodes', now + lease, node)
        return 0
        """;

    /// <summary>ARGV: prefix, node. A node that stops cleanly takes its sessions out of the fleet at once.</summary>
    public const string Leave = ForgetFunction + "\n" + """
        forget(ARGV[1], ARGV[2])
        return 0
        """;

    /// <summary>
    /// ARGV: prefix, address, permits per window, window ms, a unique member. A sliding log of the last window's
    /// accepted attempts: returns 0 (counted) or the milliseconds until the oldest leaves the window (refused, not counted).
    /// </summary>
    public const string RateLimit = Now + "\n" + """
        local key = ARGV[1] .. 'rate:' .. ARGV[2]
        local limit, window = tonumber(ARGV[3]), tonumber(ARGV[4])
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
        if redis.call('ZCARD', key) >= limit then
          local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
          return math.max(1, tonumber(oldest[2]) + window - now)
        end
        redis.call('ZADD', key, now, ARGV[5])
        redis.call('PEXPIRE', key, window)
        return 0
        """;

    /// <summary>ARGV: prefix, node. The admin lists of the other nodes whose lease holds.</summary>
    public const string OtherLists = Now + "\n" + """
        local p, me = ARGV[1], ARGV[2]
        local lists = {}
        for _, node in ipairs(redis.call('ZRANGEBYSCORE', p .. 'nodes', '(' .. now, '+inf')) do
          if node ~= me then
            local list = redis.call('GET', p .. 'list:' .. node)
            if list then table.insert(lists, list) end
          end
        end
        return lists
        """;
}
