namespace VoiceBridge.Security;

/// <summary>
/// The <c>error.code</c> values of the plain-HTTP JSON rejections (<c>{"error":{"code","message"}}</c>) that the
/// authentication part of the bridge answers with.
/// </summary>
internal static class AuthErrorCodes
{
    // /voice upgrades, all 401.

    /// <summary><c>Auth:Mode=Token</c> and no token in the subprotocol, the Authorization header or the query.</summary>
    public const string MissingToken = "missing_token";

    /// <summary>Malformed, wrong algorithm, bad signature, wrong issuer/audience, a refused session field, or several different tokens.</summary>
    public const string InvalidToken = "invalid_token";

    /// <summary>now &gt; exp + <c>Auth:ClockSkew</c>.</summary>
    public const string TokenExpired = "token_expired";

    /// <summary>now &lt; nbf − <c>Auth:ClockSkew</c>.</summary>
    public const string TokenNotYetValid = "token_not_yet_valid";

    // POST /v1/realtime/client_secrets.

    /// <summary>404: <c>Admin:ApiKey</c> is not set, so the management routes are off.</summary>
    public const string NotFound = "not_found";

    /// <summary>401: no <c>Authorization: Bearer</c> header.</summary>
    public const string MissingApiKey = "missing_api_key";

    /// <summary>401: a bearer key that is not <c>Admin:ApiKey</c>.</summary>
    public const string InvalidApiKey = "invalid_api_key";

    /// <summary>503: no <c>Auth:SigningKey</c>, so the bridge cannot mint.</summary>
    public const string SigningKeyMissing = "signing_key_missing";

    /// <summary>413: the request body is over the route's limit.</summary>
    public const string RequestTooLarge = "request_too_large";

    /// <summary>400: the body is not valid JSON (or repeats a member name).</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>400: the body is JSON but not an object.</summary>
    public const string InvalidBody = "invalid_body";

    /// <summary>400: a member the route does not know (a typo must not silently mint a default token).</summary>
    public const string UnknownParameter = "unknown_parameter";

    /// <summary>400: <c>expires_after</c> is not an object.</summary>
    public const string InvalidExpiresAfter = "invalid_expires_after";

    /// <summary>400: <c>expires_after.anchor</c> is not <c>created_at</c>.</summary>
    public const string InvalidAnchor = "invalid_anchor";

    /// <summary>400: <c>expires_after.seconds</c> is not an integer of at least 1.</summary>
    public const string InvalidSeconds = "invalid_seconds";

    /// <summary>400: <c>expires_after.seconds</c> is over <c>Auth:MaxTokenLifetime</c>.</summary>
    public const string LifetimeTooLong = "lifetime_too_long";

    /// <summary>400: <c>session</c> is not an object.</summary>
    public const string InvalidSession = "invalid_session";

    /// <summary>400: <c>session</c> sets a field outside <c>Session:TokenMayUpdate</c>.</summary>
    public const string SessionFieldNotAllowed = "session_field_not_allowed";

    /// <summary>400: <c>user</c> is not a non-empty string of at most 256 characters.</summary>
    public const string InvalidUser = "invalid_user";

    /// <summary>400: the token would exceed the size the bridge accepts back (too large a <c>session</c>).</summary>
    public const string TokenTooLarge = "token_too_large";
}
