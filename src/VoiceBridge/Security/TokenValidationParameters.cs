namespace VoiceBridge.Security;

/// <summary>Everything <see cref="JwtHs256.Validate"/> checks a token against, except the current time.</summary>
internal sealed class TokenValidationParameters
{
    private readonly byte[] _key;

    /// <exception cref="ArgumentException">The key is shorter than <see cref="SigningKeyFormat.MinimumBytes"/>.</exception>
    public TokenValidationParameters(ReadOnlySpan<byte> key, TimeSpan maxTokenLifetime, TimeSpan clockSkew, IReadOnlyList<string> sessionMayUpdate)
    {
        if (key.Length < SigningKeyFormat.MinimumBytes)
        {
            throw new ArgumentException($"An HS256 key must be at least {SigningKeyFormat.MinimumBytes} bytes.", nameof(key));
        }

        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxTokenLifetime, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(clockSkew, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(sessionMayUpdate);
        _key = key.ToArray();
        MaxTokenLifetime = maxTokenLifetime;
        ClockSkew = clockSkew;
        SessionMayUpdate = sessionMayUpdate;
    }

    public ReadOnlySpan<byte> Key => _key;

    public TimeSpan MaxTokenLifetime { get; }

    public TimeSpan ClockSkew { get; }

    /// <summary>When set, <c>iss</c> must equal it (ordinal).</summary>
    public string? Issuer { get; init; }

    /// <summary>When set, <c>aud</c> must equal it or be an array containing it (ordinal).</summary>
    public string? Audience { get; init; }

    /// <summary>Dotted GA paths the <c>session</c> claim may set (<c>Session:TokenMayUpdate</c>).</summary>
    public IReadOnlyList<string> SessionMayUpdate { get; }
}
