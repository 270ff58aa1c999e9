using System.Collections.Concurrent;

namespace VoiceBridge.Cluster;

/// <summary>
/// The command ids a node has accepted recently: a command published again (a captured <c>end</c>, say) is refused
/// while its signature is still young enough to pass. Only signed commands reach it, so a writer without the secret
/// cannot fill it.
/// </summary>
internal sealed class FleetReplayGuard(TimeProvider timeProvider)
{
    /// <summary>
    /// A signature passes for <see cref="FleetSignature.MaxAge"/> either side of its time (clocks differ), so an id is
    /// kept twice that long after it was first seen: past then, its signature is refused anyway.
    /// </summary>
    public static readonly TimeSpan Window = FleetSignature.MaxAge * 2;

    private static readonly TimeSpan PruneEvery = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private long _nextPruneMs;

    /// <summary>Ids held now (tests).</summary>
    public int Count => _seen.Count;

    /// <summary>True the first time an id is offered within <see cref="Window"/>, false for a replay.</summary>
    public bool TryAccept(string id)
    {
        var now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        Prune(now);
        return _seen.TryAdd(id, now + (long)Window.TotalMilliseconds);
    }

    private void Prune(long now)
    {
        var next = Volatile.Read(ref _nextPruneMs);
        if (now < next || Interlocked.CompareExchange(ref _nextPruneMs, now + (long)PruneEvery.TotalMilliseconds, next) != next)
        {
            return;
        }

        foreach (var (id, expires) in _seen)
        {
            if (expires <= now)
            {
                _seen.TryRemove(id, out _);
            }
        }
    }
}
