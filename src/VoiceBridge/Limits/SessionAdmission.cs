using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Limits;

/// <summary>
/// Counts live sessions for the whole process and per client (the token's <c>sub</c>, else the client IP).
/// Touched once when a session opens and once when it closes, never per frame.
/// </summary>
internal sealed class SessionAdmission
{
    private readonly ConcurrentDictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private readonly LimitsOptions _options;
    private int _total;

    public SessionAdmission(IOptions<LimitsOptions> options)
    {
        _options = options.Value;
    }

    public int Total => Volatile.Read(ref _total);

    /// <summary>Admits a session or says why not; the returned lease must be disposed when the session ends.</summary>
    public AdmissionResult TryAdmit(string clientKey)
    {
        if (Interlocked.Increment(ref _total) > _options.MaxSessions)
        {
            Interlocked.Decrement(ref _total);
            return AdmissionResult.ServerFull;
        }

        var count = _perClient.AddOrUpdate(clientKey, 1, static (_, n) => n + 1);
        if (count > _options.MaxSessionsPerClient)
        {
            Leave(clientKey);
            return AdmissionResult.ClientFull;
        }

        return AdmissionResult.Admitted(new Lease(this, clientKey));
    }

    private void Leave(string clientKey)
    {
        Interlocked.Decrement(ref _total);
        while (_perClient.TryGetValue(clientKey, out var count))
        {
            if (count <= 1 ? _perClient.TryRemove(new KeyValuePair<string, int>(clientKey, count)) : _perClient.TryUpdate(clientKey, count - 1, count))
            {
                return;
            }
        }
    }

    internal sealed class Lease : IDisposable
    {
        private SessionAdmission? _owner;
        private readonly string _clientKey;

        public Lease(SessionAdmission owner, string clientKey)
        {
            _owner = owner;
            _clientKey = clientKey;
        }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Leave(_clientKey);
    }
}

internal readonly record struct AdmissionResult(AdmissionVerdict Verdict, IDisposable? Lease)
{
    public static AdmissionResult ServerFull => new(AdmissionVerdict.ServerFull, null);

    public static AdmissionResult ClientFull => new(AdmissionVerdict.ClientFull, null);

    public static AdmissionResult Admitted(IDisposable lease) => new(AdmissionVerdict.Admitted, lease);
}

internal enum AdmissionVerdict
{
    Admitted,

    /// <summary><c>Limits:MaxSessions</c> reached: 503.</summary>
    ServerFull,

    /// <summary><c>Limits:MaxSessionsPerClient</c> reached: 429.</summary>
    ClientFull,
}
