using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using VoiceBridge.Cluster;

namespace VoiceBridge.Telephony;

/// <summary>
/// The stream tokens handed to Twilio in the TwiML: random, bound to one <c>CallSid</c>, valid for
/// <see cref="Lifetime"/> and spent on their first use, accepted or not. In a fleet they live in Redis (as a hash, never
/// the token), so the node Twilio's media socket reaches need not be the one that answered the webhook; without Redis,
/// or while it cannot be reached, in this process.
/// </summary>
internal sealed class TwilioCallTokens
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Minted> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly FleetRegistry? _fleet;

    public TwilioCallTokens(TimeProvider time, FleetRegistry? fleet = null)
    {
        _time = time;
        _fleet = fleet is { Enabled: true } ? fleet : null;
    }

    /// <summary>Tokens minted in this process and not yet spent or swept.</summary>
    public int Count => _tokens.Count;

    public async ValueTask<string> MintAsync(string callSid)
    {
        var now = _time.GetUtcNow();
        Sweep(now);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        if (_fleet is null || !await _fleet.TryHandOffAsync(Key(token), callSid, Lifetime).ConfigureAwait(false))
        {
            _tokens[token] = new Minted(callSid, now + Lifetime);
        }

        return token;
    }

    /// <summary>Spends <paramref name="token"/>: true only if it was minted for <paramref name="callSid"/> and has not expired.</summary>
    public async ValueTask<bool> TryRedeemAsync(string? token, string? callSid)
    {
        if (string.IsNullOrEmpty(token))
        {
            return false;
        }

        if (_tokens.TryRemove(token, out var minted))
        {
            return callSid is not null && string.Equals(minted.CallSid, callSid, StringComparison.Ordinal) && _time.GetUtcNow() < minted.Expires;
        }

        // Redis expired it on time; taking it spends it for every node.
        var fleetCallSid = _fleet is null ? null : await _fleet.TryTakeAsync(Key(token)).ConfigureAwait(false);
        return fleetCallSid is not null && string.Equals(fleetCallSid, callSid, StringComparison.Ordinal);
    }

    private static string Key(string token) => "twilio-token:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (token, minted) in _tokens)
        {
            if (minted.Expires <= now)
            {
                _tokens.TryRemove(token, out _);
            }
        }
    }

    private readonly record struct Minted(string CallSid, DateTimeOffset Expires);
}
