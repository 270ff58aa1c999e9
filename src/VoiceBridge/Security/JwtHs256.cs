using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace VoiceBridge.Security;

/// <summary>
/// Compact JWS tokens signed with HMAC-SHA256 (RFC 7515 / 7519), the bridge's browser credential. Any ordinary JWT
/// library verifies what <see cref="Create"/> writes and can mint what <see cref="Validate"/> accepts.
/// </summary>
/// <remarks>
/// Validation order (each step its own <see cref="TokenFailure"/>): size → three canonical base64url segments →
/// header (<c>alg</c> exactly HS256, <c>typ</c> JWT if present, no <c>crit</c>) → signature, compared with
/// <see cref="CryptographicOperations.FixedTimeEquals"/> → only then the payload and its claims. Malformed input of
/// any kind is a failure value, never an exception.
/// </remarks>
internal static class JwtHs256
{
    /// <summary>
    /// Refused before any work. Room for a session claim with a few KB of instructions and tools; still well inside
    /// Kestrel's 32 KB of request headers (a query token is capped earlier, by the 8 KB request line).
    /// </summary>
    public const int MaxTokenChars = 16 * 1024;

    public const string Algorithm = "HS256";

    private const int SignatureBytes = HMACSHA256.HashSizeInBytes;

    private static readonly string EncodedHeader = Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8);

    // Duplicate member names are refused: JWT libraries disagree on which one wins, and a token must mean one thing.
    private static readonly JsonDocumentOptions StrictJson = new()
    {
        AllowDuplicateProperties = false,
        AllowTrailingCommas = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 64,
    };

    /// <summary>Writes <c>{"alg":"HS256","typ":"JWT"}.{claims}.{HMAC-SHA256}</c>, base64url without padding.</summary>
    /// <exception cref="ArgumentException">The key is too short, or <see cref="TokenClaims.Session"/> is not an object.</exception>
    public static string Create(ReadOnlySpan<byte> key, TokenClaims claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        if (key.Length < SigningKeyFormat.MinimumBytes)
        {
            throw new ArgumentException($"An HS256 key must be at least {SigningKeyFormat.MinimumBytes} bytes.", nameof(key));
        }

        if (claims.Session is { ValueKind: not JsonValueKind.Object })
        {
            throw new ArgumentException("The session claim must be a JSON object.", nameof(claims));
        }

        using var payload = new MemoryStream();
        using (var writer = new Utf8JsonWriter(payload))
        {
            writer.WriteStartObject();
            if (claims.Issuer is not null)
            {
                writer.WriteString("iss"u8, claims.Issuer);
            }

            if (claims.Subject is not null)
            {
                writer.WriteString("sub"u8, claims.Subject);
            }

            if (claims.Audience is not null)
            {
                writer.WriteString("aud"u8, claims.Audience);
            }

            if (claims.IssuedAt is { } issuedAt)
            {
                writer.WriteNumber("iat"u8, issuedAt.ToUnixTimeSeconds());
            }

            if (claims.NotBefore is { } notBefore)
            {
                writer.WriteNumber("nbf"u8, notBefore.ToUnixTimeSeconds());
            }

            writer.WriteNumber("exp"u8, claims.ExpiresAt.ToUnixTimeSeconds());
            if (claims.Session is { } session)
            {
                writer.WritePropertyName("session"u8);
                session.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        var signingInput = $"{EncodedHeader}.{Base64Url.EncodeToString(payload.GetBuffer().AsSpan(0, (int)payload.Length))}";
        Span<byte> signature = stackalloc byte[SignatureBytes];
        HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(signingInput), signature);
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>Checks a token against the parameters at <paramref name="now"/>. Never throws for any input string.</summary>
    public static TokenValidationResult Validate(string? token, TokenValidationParameters parameters, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        try
        {
            return ValidateCore(token, parameters, now);
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            // A safety net only: every known malformation is answered by a check below without throwing.
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }
    }

    private static TokenValidationResult ValidateCore(string? token, TokenValidationParameters parameters, DateTimeOffset now)
    {
        if (token is null)
        {
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }

        if (token.Length > MaxTokenChars)
        {
            return TokenValidationResult.Fail(TokenFailure.TooLarge);
        }

        var span = token.AsSpan();
        var firstDot = span.IndexOf('.');
        var secondDot = firstDot < 0 ? -1 : span[(firstDot + 1)..].IndexOf('.');
        if (firstDot <= 0 || secondDot <= 0)
        {
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }

        secondDot += firstDot + 1;
        var headerSegment = span[..firstDot];
        var payloadSegment = span[(firstDot + 1)..secondDot];
        var signatureSegment = span[(secondDot + 1)..];
        if (signatureSegment.Contains('.')
            || !TryDecodeSegment(headerSegment, out var headerBytes)
            || !TryDecodeSegment(payloadSegment, out var payloadBytes))
        {
            return TokenValidationResult.Fail(TokenFailure.Malformed);
        }

        var headerFailure = CheckHeader(headerBytes);
        if (headerFailure != TokenFailure.None)
        {
            return TokenValidationResult.Fail(headerFailure);
        }

        if (!SignatureMatches(span[..secondDot], signatureSegment, parameters.Key))
        {
            return TokenValidationResult.Fail(TokenFailure.SignatureInvalid);
        }

        // From here on the bytes are the signer's: the claims may be read. The reader does not check UTF-8 inside
        // strings it is not asked to decode, and a claim handed on (session) must be text that can be re-read.
        if (!Utf8.IsValid(payloadBytes))
        {
            return TokenValidationResult.Fail(TokenFailure.PayloadInvalid);
        }

        JsonDocument payload;
        try
        {
            payload = JsonDocument.Parse(payloadBytes, StrictJson);
        }
        catch (JsonException)
        {
            return TokenValidationResult.Fail(TokenFailure.PayloadInvalid);
        }

        using (payload)
        {
            return payload.RootElement.ValueKind == JsonValueKind.Object
                ? CheckClaims(payload.RootElement, parameters, now)
                : TokenValidationResult.Fail(TokenFailure.PayloadInvalid);
        }
    }

    private static TokenFailure CheckHeader(byte[] headerBytes)
    {
        if (!Utf8.IsValid(headerBytes))
        {
            return TokenFailure.HeaderInvalid;
        }

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(headerBytes, StrictJson);
        }
        catch (JsonException)
        {
            return TokenFailure.HeaderInvalid;
        }

        using (header)
        {
            var root = header.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return TokenFailure.HeaderInvalid;
            }

            // Exactly "HS256", case and all: never "none", never another HMAC size, never an asymmetric algorithm
            // (whose public key could otherwise be used as the HMAC secret).
            if (!root.TryGetProperty("alg"u8, out var alg) || alg.ValueKind != JsonValueKind.String || !alg.ValueEquals("HS256"u8))
            {
                return TokenFailure.AlgorithmNotAllowed;
            }

            if (root.TryGetProperty("typ"u8, out var typ)
                && (typ.ValueKind != JsonValueKind.String || !string.Equals(typ.GetString(), "JWT", StringComparison.OrdinalIgnoreCase)))
            {
                return TokenFailure.TypeNotAllowed;
            }

            return root.TryGetProperty("crit"u8, out _) ? TokenFailure.CriticalHeaderNotSupported : TokenFailure.None;
        }
    }

    private static bool SignatureMatches(ReadOnlySpan<char> signingInput, ReadOnlySpan<char> signatureSegment, ReadOnlySpan<byte> key)
    {
        // A 32-byte MAC is exactly 43 base64url characters; anything else cannot match.
        if (!TryDecodeSegment(signatureSegment, out var presented) || presented.Length != SignatureBytes)
        {
            return false;
        }

        // The signing input was checked to be base64url characters and dots: ASCII, one byte per char.
        var input = new byte[signingInput.Length];
        Encoding.ASCII.GetBytes(signingInput, input);
        Span<byte> expected = stackalloc byte[SignatureBytes];
        HMACSHA256.HashData(key, input, expected);

        // Constant time: how many leading bytes match must not show in how long the comparison takes.
        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }

    private static TokenValidationResult CheckClaims(JsonElement claims, TokenValidationParameters parameters, DateTimeOffset now)
    {
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

        var nowSeconds = now.ToUnixTimeMilliseconds() / 1000.0;
        var skew = parameters.ClockSkew.TotalSeconds;
        var maxLifetime = parameters.MaxTokenLifetime.TotalSeconds;
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

        var issuerFailure = CheckIssuer(claims, parameters.Issuer);
        if (issuerFailure is not null)
        {
            return issuerFailure;
        }

        var audienceFailure = CheckAudience(claims, parameters.Audience);
        if (audienceFailure is not null)
        {
            return audienceFailure;
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

            var refused = TokenSessionClaim.FindDisallowed(sessionElement, parameters.SessionMayUpdate);
            if (refused.Count > 0)
            {
                return TokenValidationResult.Fail(
                    TokenFailure.SessionFieldNotAllowed,
                    $"The session claim may not set: {string.Join(", ", refused)}.");
            }

            session = sessionElement.Clone();
        }

        // exp lies within [now - skew, now + max + skew] here, so the conversion cannot overflow.
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(exp * 1000));
        return TokenValidationResult.Valid(subject, session, expiresAt);
    }

    private static TokenValidationResult? CheckIssuer(JsonElement claims, string? expected)
    {
        var present = claims.TryGetProperty("iss"u8, out var iss);
        if (present && iss.ValueKind != JsonValueKind.String)
        {
            return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "iss must be a string.");
        }

        if (!string.IsNullOrEmpty(expected) && (!present || !iss.ValueEquals(expected)))
        {
            return TokenValidationResult.Fail(TokenFailure.IssuerMismatch);
        }

        return null;
    }

    private static TokenValidationResult? CheckAudience(JsonElement claims, string? expected)
    {
        var present = claims.TryGetProperty("aud"u8, out var aud);
        var matched = false;
        if (present)
        {
            switch (aud.ValueKind)
            {
                case JsonValueKind.String:
                    matched = expected is not null && aud.ValueEquals(expected);
                    break;
                case JsonValueKind.Array:
                    foreach (var entry in aud.EnumerateArray())
                    {
                        if (entry.ValueKind != JsonValueKind.String)
                        {
                            return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "aud must be a string or an array of strings.");
                        }

                        matched |= expected is not null && entry.ValueEquals(expected);
                    }

                    break;
                default:
                    return TokenValidationResult.Fail(TokenFailure.ClaimInvalid, "aud must be a string or an array of strings.");
            }
        }

        return !string.IsNullOrEmpty(expected) && !matched ? TokenValidationResult.Fail(TokenFailure.AudienceMismatch) : null;
    }

    private static bool TryGetNumericDate(JsonElement element, out double seconds)
    {
        seconds = 0;
        return element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out seconds) && double.IsFinite(seconds);
    }

    /// <summary>
    /// Strict base64url: only <c>A–Z a–z 0–9 - _</c>, no padding, no whitespace, and canonical (unused trailing bits
    /// zero), so every token has exactly one spelling and a flipped bit in a signature never decodes to the same MAC.
    /// </summary>
    private static bool TryDecodeSegment(ReadOnlySpan<char> segment, out byte[] bytes)
    {
        bytes = [];
        if (segment.IsEmpty || segment.Length % 4 == 1)
        {
            return false;
        }

        foreach (var c in segment)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        // A last group of 2 characters carries 8 bits in 12, of 3 characters 16 in 18: the rest must be zero.
        var unusedBits = (segment.Length % 4) switch
        {
            2 => 0b1111,
            3 => 0b11,
            _ => 0,
        };
        if ((ValueOf(segment[^1]) & unusedBits) != 0)
        {
            return false;
        }

        bytes = Base64Url.DecodeFromChars(segment);
        return true;
    }

    private static int ValueOf(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
