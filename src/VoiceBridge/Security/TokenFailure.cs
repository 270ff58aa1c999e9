namespace VoiceBridge.Security;

/// <summary>Why a bridge token was refused: one value per validation rule (see <see cref="BridgeTokenService.ValidateAsync"/>).</summary>
internal enum TokenFailure
{
    /// <summary>The token is valid.</summary>
    None = 0,

    /// <summary>Longer than <see cref="BridgeTokenService.MaxTokenChars"/>: refused before any parsing.</summary>
    TooLarge,

    /// <summary>Not a compact JWS whose header and payload are JSON objects, or a JSON member name repeated.</summary>
    Malformed,

    /// <summary><c>alg</c> anything but <c>HS256</c> (<c>none</c>, HS512 and asymmetric algorithms included).</summary>
    AlgorithmNotAllowed,

    /// <summary><c>typ</c> present but not <c>JWT</c>.</summary>
    TypeNotAllowed,

    /// <summary>A <c>crit</c> header: the bridge understands no JWS extension, so it must refuse (RFC 7515 §4.1.11).</summary>
    CriticalHeaderNotSupported,

    /// <summary>The HMAC-SHA256 signature does not verify (or is missing). Checked before any claim is trusted.</summary>
    SignatureInvalid,

    /// <summary>No <c>exp</c> claim.</summary>
    ExpirationMissing,

    /// <summary>A claim the bridge reads has the wrong type (<c>sub</c>, <c>session</c>) or an unusable time.</summary>
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
