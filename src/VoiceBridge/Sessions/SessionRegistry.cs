using System.Collections.Concurrent;
using VoiceBridge.Diagnostics;

namespace VoiceBridge.Sessions;

/// <summary>
/// The live sessions of this process. Touched once when a session opens and once when it closes, never per
/// frame. On shutdown it stops admitting sessions and closes every live one through its normal close path.
/// </summary>
internal sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<string, BridgeSession> _sessions = new(StringComparer.Ordinal);
    private readonly ILogger<SessionRegistry> _logger;
    private int _count;
    private volatile bool _draining;

    public SessionRegistry(ILogger<SessionRegistry> logger)
    {
        _logger = logger;
    }

    public int Count => Volatile.Read(ref _count);

    public bool IsDraining => _draining;

    public IEnumerable<BridgeSession> Sessions => _sessions.Values;

    public void Add(BridgeSession session)
    {
        if (_sessions.TryAdd(session.Id, session))
        {
            Interlocked.Increment(ref _count);
        }

        // A session admitted while the drain was starting must not be missed by it.
        if (_draining)
        {
            session.RequestShutdown();
        }
    }

    public void Remove(BridgeSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, BridgeSession>(session.Id, session)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public bool TryGet(string id, out BridgeSession? session) => _sessions.TryGetValue(id, out session);

    /// <summary>Refuses new sessions, asks every live one to close, and waits for them (bounded by the token).</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        _draining = true;
        var live = _sessions.Values.ToArray();
        Log.Draining(_logger, live.Length);
        foreach (var session in live)
        {
            session.RequestShutdown();
        }

        try
        {
            await Task.WhenAll(live.Select(s => s.Completion)).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.DrainIncomplete(_logger, Count);
        }
    }
}
