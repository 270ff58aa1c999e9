using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace VoiceBridge.Telephony;

/// <summary>
/// The stream tokens handed to Twilio in the TwiML: random, bound to one <c>CallSid</c>, valid for
/// <see cref="Lifetime"/> and spent on their first use, accepted or not. Kept in this process only.
/// </summary>
internal sealed class TwilioCallTokens
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<string, Minted> _tokens = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public TwilioCallTokens(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Tokens minted and not yet spent or swept.</summary>
    public int Count => _tokens.Count;

    public string Mint(string callSid)
    {
        var now = _time.GetUtcNow();
        Sweep(now);
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        _tokens[token] = new Minted(callSid, now + Lifetime);
        return token;
    }

    /// <summary>Spends <paramref name="token"/>: true only if it was minted for <paramref name="callSid"/> and has not expired.</summary>
    public bool TryRedeem(string? token, string? callSid)
    {
        if (string.IsNullOrEmpty(token) || !_tokens.TryRemove(token, out var minted))
        {
            return false;
        }

        return callSid is not null && string.Equals(minted.CallSid, callSid, StringComparison.Ordinal) && _time.GetUtcNow() < minted.Expires;
    }

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
