namespace VoiceBridge.Security;

/// <summary>Why a bridge token was refused: one value per validation rule, checked in this order.</summary>
internal enum TokenFailure
{
    /// <summary>The token is valid.</summary>
    None = 0,

    /// <summary>Longer than <see cref="JwtHs256.MaxTokenChars"/>: refused before any work.</summary>
    TooLarge,

    /// <summary>Not three non-empty, canonical base64url segments (no padding, no other characters).</summary>
    Malformed,

    /// <summary>The header is not a JSON object.</summary>
    HeaderInvalid,

    /// <summary><c>alg</c> missing, not a string, or anything but exactly <c>HS256</c> (<c>none</c> included).</summary>
    AlgorithmNotAllowed,

    /// <summary><c>typ</c> present but not <c>JWT</c>.</summary>
    TypeNotAllowed,

    /// <summary>A <c>crit</c> header: the bridge understands no JWS extension, so it must refuse (RFC 7515 §4.1.11).</summary>
    CriticalHeaderNotSupported,

    /// <summary>The HMAC-SHA256 signature does not verify. Checked before any claim is read.</summary>
    SignatureInvalid,

    /// <summary>The payload is not a JSON object (or repeats a member name, or nests too deep).</summary>
    PayloadInvalid,

    /// <summary>No <c>exp</c> claim.</summary>
    ExpirationMissing,

    /// <summary>A claim the bridge reads has the wrong JSON type (<c>exp</c>, <c>nbf</c>, <c>iat</c>, <c>iss</c>, <c>aud</c>, <c>sub</c>, <c>session</c>).</summary>
    ClaimInvalid,

    /// <summary>now &gt; exp + skew.</summary>
    Expired,

    /// <summary>now &lt; nbf − skew.</summary>
    NotYetValid,

    /// <summary>exp − now &gt; max lifetime + skew, or exp − iat &gt; max lifetime.</summary>
    LifetimeTooLong,

    /// <summary>An issuer is configured and <c>iss</c> is missing or different.</summary>
    IssuerMismatch,

    /// <summary>An audience is configured and <c>aud</c> neither is it nor is an array holding it.</summary>
    AudienceMismatch,

    /// <summary>The <c>session</c> claim sets a field outside <c>Session:TokenMayUpdate</c>.</summary>
    SessionFieldNotAllowed,
}
