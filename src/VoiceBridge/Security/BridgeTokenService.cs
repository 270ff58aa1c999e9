using System.Text.Json;
using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;

namespace VoiceBridge.Security;

/// <summary>
/// The bridge's tokens as configured: validates with <c>Auth:*</c> and <c>Session:TokenMayUpdate</c> at the injected
/// <see cref="TimeProvider"/>'s now, and mints tokens that pass that same validation.
/// </summary>
internal sealed class BridgeTokenService
{
    private readonly TimeProvider _timeProvider;
    private readonly TokenValidationParameters? _parameters;
    private readonly byte[] _key;
    private readonly AuthOptions _auth;

    public BridgeTokenService(IOptions<AuthOptions> auth, IOptions<RealtimeSessionOptions> session, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _auth = auth.Value;
        SessionMayUpdate = session.Value.EffectiveTokenMayUpdate;
        if (SigningKeyFormat.TryDecode(_auth.SigningKey, out _key))
        {
            _parameters = new TokenValidationParameters(_key, _auth.MaxTokenLifetime, _auth.ClockSkew, SessionMayUpdate)
            {
                Issuer = string.IsNullOrEmpty(_auth.Issuer) ? null : _auth.Issuer,
                Audience = string.IsNullOrEmpty(_auth.Audience) ? null : _auth.Audience,
            };
        }
    }

    /// <summary>False when no (valid) <c>Auth:SigningKey</c> is configured: nothing can be minted or validated.</summary>
    public bool HasSigningKey => _parameters is not null;

    public TimeSpan MaxTokenLifetime => _auth.MaxTokenLifetime;

    public IReadOnlyList<string> SessionMayUpdate { get; }

    /// <summary>Validates a presented token now. Never throws for any token string.</summary>
    /// <exception cref="InvalidOperationException">No signing key is configured (start-up validation prevents it with <c>Mode=Token</c>).</exception>
    public TokenValidationResult Validate(string? token) =>
        JwtHs256.Validate(token, _parameters ?? throw NoKey(), _timeProvider.GetUtcNow());

    /// <summary>Mints a token valid from now (whole seconds) for <paramref name="lifetimeSeconds"/>.</summary>
    /// <exception cref="InvalidOperationException">No signing key is configured.</exception>
    public MintedToken Mint(string? subject, long lifetimeSeconds, JsonElement? session)
    {
        if (_parameters is null)
        {
            throw NoKey();
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(lifetimeSeconds, 1);
        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(_timeProvider.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(lifetimeSeconds);
        var token = JwtHs256.Create(_key, new TokenClaims
        {
            ExpiresAt = expiresAt,
            IssuedAt = issuedAt,
            Subject = subject,
            Issuer = _parameters.Issuer,
            Audience = _parameters.Audience,
            Session = session,
        });
        return new MintedToken(token, expiresAt);
    }

    private static InvalidOperationException NoKey() => new("VoiceBridge:Auth:SigningKey is not configured.");
}
