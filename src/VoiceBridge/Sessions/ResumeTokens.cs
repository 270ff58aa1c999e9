using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;

namespace VoiceBridge.Sessions;

/// <summary>
/// The process's resume tokens: which live session each one re-attaches. A token is a credential, so only its SHA-256
/// is held (the dictionary is keyed by the hash, and the hash found is compared again in constant time: lookup timing
/// says something about a hash, nothing about a token). A token is single use: claiming it removes it, and the session
/// issues the next one on the resumed socket. Nothing here logs or formats a token.
/// </summary>
internal sealed class ResumeTokens
{
    /// <summary>256 random bits in base64url without padding.</summary>
    public const int TokenChars = 43;

    private const int TokenBytes = 32;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly IResumeTokenListener? _listener;

    public ResumeTokens(IOptions<ContinuityOptions> options, IResumeTokenListener? listener = null)
    {
        Options = options.Value;
        _listener = listener;
    }

    public ContinuityOptions Options { get; }

    /// <summary>Resume is on (<c>Continuity:ResumeWindow</c> &gt; 0).</summary>
    public bool Enabled => Options.ResumeWindow > TimeSpan.Zero;

    /// <summary>How many tokens are live (one per resumable session).</summary>
    public int Count => _entries.Count;

    /// <summary>A fresh token for <paramref name="session"/>; <paramref name="key"/> identifies it for <see cref="Forget"/>.</summary>
    public string Issue(BridgeSession session, out string key)
    {
        Span<byte> random = stackalloc byte[TokenBytes];
        RandomNumberGenerator.Fill(random);
        var token = Base64Url.EncodeToString(random);
        var hash = Hash(token);
        key = Convert.ToHexString(hash);
        _entries[key] = new Entry(hash, session);
        _listener?.Issued(key, session.Id);
        return token;
    }

    /// <summary>The session a token belongs to, without spending it; null for a malformed, unknown or spent token.</summary>
    public BridgeSession? Find(string token)
    {
        if (!IsWellFormed(token))
        {
            return null;
        }

        var hash = Hash(token);
        return _entries.TryGetValue(Convert.ToHexString(hash), out var entry) && CryptographicOperations.FixedTimeEquals(entry.Hash, hash)
            ? entry.Session
            : null;
    }

    /// <summary>Spends the token: true for exactly one caller, and only while it still belongs to <paramref name="session"/>.</summary>
    public bool TryClaim(string token, BridgeSession session)
    {
        if (!IsWellFormed(token))
        {
            return false;
        }

        var hash = Hash(token);
        var key = Convert.ToHexString(hash);
        if (_entries.TryGetValue(key, out var entry)
            && entry.Session == session
            && CryptographicOperations.FixedTimeEquals(entry.Hash, hash)
            && _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
        {
            _listener?.Spent(key);
            return true;
        }

        return false;
    }

    /// <summary>The token issued under <paramref name="key"/> is no longer valid (the session ended or moved on).</summary>
    public void Forget(string key, BridgeSession session)
    {
        if (_entries.TryGetValue(key, out var entry) && entry.Session == session && _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)))
        {
            _listener?.Spent(key);
        }
    }

    /// <summary>The key a token is known by (its hex SHA-256, as <see cref="Issue"/> gives it); false for a malformed token.</summary>
    public static bool TryGetKey(string token, out string key)
    {
        key = IsWellFormed(token) ? Convert.ToHexString(Hash(token)) : string.Empty;
        return key.Length > 0;
    }

    private static bool IsWellFormed(string token)
    {
        if (token.Length != TokenChars)
        {
            return false;
        }

        foreach (var c in token)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] Hash(string token)
    {
        Span<byte> ascii = stackalloc byte[TokenChars];
        Encoding.ASCII.GetBytes(token, ascii);
        return SHA256.HashData(ascii);
    }

    private sealed record Entry(byte[] Hash, BridgeSession Session);
}
