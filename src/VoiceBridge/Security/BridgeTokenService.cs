using System.Buffers.Text;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using VoiceBridge.Configuration;

namespace VoiceBridge.Security;

/// <summary>
/// The bridge's browser tokens (compact JWS, HMAC-SHA256) as configured: validates with <c>Auth:*</c> and
/// <c>Session:TokenMayUpdate</c> at the injected <see cref="TimeProvider"/>'s now, and mints tokens that pass that
/// same validation. Parsing, signature, algorithm, <c>exp</c>/<c>nbf</c>, issuer and audience are
/// <see cref="JsonWebTokenHandler"/>'s; this type adds only what the bridge needs on top (see <see cref="ValidateAsync"/>).
/// </summary>
internal sealed class BridgeTokenService
{
    /// <summary>
    /// Refused before any parsing. Room for a session claim with a few KB of instructions and tools; still well inside
    /// Kestrel's 32 KB of request headers (a query token is capped earlier, by the 8 KB request line).
    /// </summary>
    public const int MaxTokenChars = 16 * 1024;

    // Repeated member names are refused: JSON readers disagree on which one wins, and JsonWebTokenHandler keeps one
    // without a word (pinned by a unit test), while a token must mean one thing to every reader.
    private static readonly JsonDocumentOptions StrictJson = new()
    {
        AllowDuplicateProperties = false,
        MaxDepth = 64,
    };

    private readonly TimeProvider _timeProvider;
    private readonly AuthOptions _auth;
    private readonly JsonWebTokenHandler _handler;
    private readonly Microsoft.IdentityModel.Tokens.TokenValidationParameters? _parameters;
    private readonly SigningCredentials? _signing;

    public BridgeTokenService(IOptions<AuthOptions> auth, IOptions<RealtimeSessionOptions> session, TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        _auth = auth.Value;
        SessionMayUpdate = session.Value.EffectiveTokenMayUpdate;

        // MapInboundClaims off: claim names stay as written ("sub" is "sub"); the size cap mirrors the pre-check.
        _handler = new JsonWebTokenHandler
        {
            MapInboundClaims = false,
            SetDefaultTimesOnTokenCreation = false,
            MaximumTokenSizeInBytes = MaxTokenChars,
        };

        if (SigningKeyFormat.TryDecode(_auth.SigningKey, out var key))
        {
            var securityKey = new SymmetricSecurityKey(key);
            _signing = new SigningCredentials(securityKey, SecurityAlgorithms.HmacSha256);
            var issuer = string.IsNullOrEmpty(_auth.Issuer) ? null : _auth.Issuer;
            var audience = string.IsNullOrEmpty(_auth.Audience) ? null : _auth.Audience;
            _parameters = new Microsoft.IdentityModel.Tokens.TokenValidationParameters
            {
                IssuerSigningKey = securityKey,

                // Exactly HS256: never "none", never another HMAC size, never an asymmetric algorithm whose public
                // key could be used as the HMAC secret (algorithm confusion).
                ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                RequireSignedTokens = true,
                ValidateIssuer = issuer is not null,
                ValidIssuer = issuer,
                ValidateAudience = audience is not null,
                ValidAudience = audience,
                IgnoreTrailingSlashWhenValidatingAudience = false,
                RequireAudience = audience is not null,

                // Lifetime is checked in CheckLifetime instead: the library reads its own clock (its TimeProvider
                // hook is internal in 8.x) and the bridge must use the injected one, and it has no maximum lifetime.
                ValidateLifetime = false,
                RequireExpirationTime = false,
            };
        }
    }

    /// <summary>False when no (valid) <c>Auth:SigningKey</c> is configured: nothing can be minted or validated.</summary>
    public bool HasSigningKey => _parameters is not null;

    public TimeSpan MaxTokenLifetime => _auth.MaxTokenLifetime;

    public IReadOnlyList<string> SessionMayUpdate { get; }

    /// <summary>Validates a presented token now. Never throws for any token string.</summary>
    /// <remarks>
    /// Order: size → <see cref="JsonWebTokenHandler"/> (structure, HS256 only, signature, issuer, audience) → then, on bytes the signer wrote, what the library does not check: duplicate JSON members,
    /// <c>crit</c>, <c>typ</c>, <c>exp</c> required, <c>exp</c>/<c>nbf</c>/<c>iat</c> with the skew and
    /// <c>Auth:MaxTokenLifetime</c> on the injected clock, <c>sub</c>, and the <c>session</c> claim against
    /// <c>Session:TokenMayUpdate</c>.
    /// </remarks>
    /// <exception cref="InvalidOperationException">No signing key is configured (start-up validation prevents it with <c>Mode=Token</c>).</exception>
    public async ValueTask<TokenValidationResult> ValidateAsync(string? token)
    {
        var parameters = _parameters ?? throw NoKey();
        if (token is null || token.Length == 0)
        {
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }

        if (token.Length > MaxTokenChars)
        {
            return TokenValidationResult.Fail(TokenFailure.TooLarge);
        }

        Microsoft.IdentityModel.Tokens.TokenValidationResult validated;
        try
        {
            validated = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException or OverflowException)
        {
            // A safety net only: the handler reports malformed input in its result rather than throwing.
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }

        if (!validated.IsValid)
        {
            return TokenValidationResult.Fail(FailureOf(validated.Exception));
        }

        try
        {
            return CheckSignedToken((JsonWebToken)validated.SecurityToken);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or OverflowException)
        {
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }
    }

    /// <summary>Mints a token valid from now (whole seconds) for <paramref name="lifetimeSeconds"/>.</summary>
    /// <exception cref="InvalidOperationException">No signing key is configured.</exception>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a JSON object.</exception>
    public MintedToken Mint(string? subject, long lifetimeSeconds, JsonElement? session)
    {
        if (_parameters is null || _signing is null)
        {
            throw NoKey();
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(lifetimeSeconds, 1);
        if (session is { ValueKind: not JsonValueKind.Object })
        {
            throw new ArgumentException("The session claim must be a JSON object.", nameof(session));
        }

        var issuedAt = DateTimeOffset.FromUnixTimeSeconds(_timeProvider.GetUtcNow().ToUnixTimeSeconds());
        var expiresAt = issuedAt.AddSeconds(lifetimeSeconds);
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        if (subject is not null)
        {
            claims[JwtRegisteredClaimNames.Sub] = subject;
        }

        if (session is { } sessionClaim)
        {
            claims["session"] = sessionClaim;
        }

        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _parameters.ValidIssuer,
            Audience = _parameters.ValidAudience,
            IssuedAt = issuedAt.UtcDateTime,
            Expires = expiresAt.UtcDateTime,
            Claims = claims,
            SigningCredentials = _signing,
        });
        return new MintedToken(token, expiresAt);
    }

    /// <summary>The library's reason, as the rule the bridge reports; the exception's message is never passed on.</summary>
    private static TokenFailure FailureOf(Exception? exception) => exception switch
    {
        SecurityTokenInvalidAlgorithmException => TokenFailure.AlgorithmNotAllowed,
        SecurityTokenInvalidSignatureException => TokenFailure.SignatureInvalid,
        SecurityTokenInvalidIssuerException => TokenFailure.IssuerMismatch,
        SecurityTokenInvalidAudienceException => TokenFailure.AudienceMismatch,
        SecurityTokenInvalidTypeException => TokenFailure.TypeNotAllowed,
        _ => TokenFailure.Malformed,
    };

    private TokenValidationResult CheckSignedToken(JsonWebToken token)
    {
        // The bytes are the signer's now. The JSON reader does not check UTF-8 inside strings it is not asked to
        // decode, and a claim handed on (session) must be text that can be re-read.
        var headerBytes = Base64Url.DecodeFromChars(token.EncodedHeader);
        var payloadBytes = Base64Url.DecodeFromChars(token.EncodedPayload);
        if (!Utf8.IsValid(headerBytes) || !Utf8.IsValid(payloadBytes))
        {
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }

        using var header = JsonDocument.Parse(headerBytes, StrictJson);
        var headerFailure = CheckHeader(header.RootElement);
        if (headerFailure != TokenFailure.None)
        {
            return TokenValidationResult.Fail(headerFailure);
        }

        using var payload = JsonDocument.Parse(payloadBytes, StrictJson);
        var claims = payload.RootElement;

        var lifetime = CheckLifetime(claims, _timeProvider.GetUtcNow(), out var expiresAt);
        if (lifetime is not null)
        {
            return lifetime;
        }

        string? subject = null;
        if (claims.TryGetProperty("sub"u8, out var sub))
        {
            subject = sub.ValueKind == JsonValueKind.String ? sub.GetString() : null;
            if (string.IsNullOrEmpty(subject))
            {
                return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "sub must be a non-empty string.");
            }
        }

        JsonElement? session = null;
        if (claims.TryGetProperty("session"u8, out var sessionElement) && sessionElement.ValueKind != JsonValueKind.Null)
        {
            if (sessionElement.ValueKind != JsonValueKind.Object)
            {
                return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "session must be a JSON object.");
            }

            var refused = TokenSessionClaim.FindDisallowed(sessionElement, SessionMayUpdate);
            if (refused.Count > 0)
            {
                return TokenValidationResult.Fail(
                    TokenFailure.SessionFieldNotAllowed,
                    $"The session claim may not set: {string.Join(", ", refused)}.");
            }

            session = sessionElement.Clone();
        }

        return TokenValidationResult.Valid(subject, session, expiresAt);
    }

    /// <summary>exp required; exp, nbf with the skew; exp at most the maximum lifetime from now (plus skew) and from iat.</summary>
    private TokenValidationResult? CheckLifetime(JsonElement claims, DateTimeOffset now, out DateTimeOffset expiresAt)
    {
        expiresAt = default;
        if (!claims.TryGetProperty("exp"u8, out var expElement))
        {
            return TokenValidationResult.Fail(TokenFailure.ExpirationMissing);
        }

        if (!TryGetNumericDate(expElement, out var exp))
        {
            return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "exp must be a number of seconds.");
        }

        double? nbf = null;
        if (claims.TryGetProperty("nbf"u8, out var nbfElement))
        {
            if (!TryGetNumericDate(nbfElement, out var value))
            {
                return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "nbf must be a number of seconds.");
            }

            nbf = value;
        }

        double? iat = null;
        if (claims.TryGetProperty("iat"u8, out var iatElement))
        {
            if (!TryGetNumericDate(iatElement, out var value))
            {
                return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "iat must be a number of seconds.");
            }

            iat = value;
        }

        // In seconds as doubles, to the millisecond: exp may be fractional (RFC 7519 NumericDate) or far out of range.
        var nowSeconds = now.ToUnixTimeMilliseconds() / 1000.0;
        var skew = _auth.ClockSkew.TotalSeconds;
        var maxLifetime = _auth.MaxTokenLifetime.TotalSeconds;
        if (nowSeconds > exp + skew)
        {
            return TokenValidationResult.Fail(TokenFailure.Expired);
        }

        if (nbf is { } notBefore && nowSeconds < notBefore - skew)
        {
            return TokenValidationResult.Fail(TokenFailure.NotYetValid);
        }

        if (exp - nowSeconds > maxLifetime + skew)
        {
            return TokenValidationResult.Fail(TokenFailure.LifetimeTooLong, "exp is further from now than the maximum token lifetime.");
        }

        if (iat is { } issuedAt && exp - issuedAt > maxLifetime)
        {
            return TokenValidationResult.Fail(TokenFailure.LifetimeTooLong, "exp is further from iat than the maximum token lifetime.");
        }

        // exp lies within [now - skew, now + max + skew] here, so the conversion cannot overflow.
        expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(exp * 1000));
        return null;
    }

    private static bool TryGetNumericDate(JsonElement element, out double seconds)
    {
        seconds = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out seconds) && double.IsFinite(seconds);
    }

    private static TokenFailure CheckHeader(JsonElement header)
    {
        // The handler checks alg; typ is left to the bridge because a token without typ is fine (RFC 7519 §5.1).
        if (header.TryGetProperty("typ"u8, out var typ)
            && (typ.ValueKind != JsonValueKind.String || !string.Equals(typ.GetString(), "JWT", StringComparison.OrdinalIgnoreCase)))
        {
            return TokenFailure.TypeNotAllowed;
        }

        // The bridge understands no JWS extension, so a crit header must be refused (RFC 7515 §4.1.11); the handler
        // does not look at crit.
        return header.TryGetProperty("crit"u8, out _) ? TokenFailure.CriticalHeaderNotSupported : TokenFailure.None;
    }

    private static InvalidOperationException NoKey() => new("VoiceBridge:Auth:SigningKey is not configured.");
}
