using Microsoft.Extensions.Options;

namespace VoiceBridge.Security;

/// <summary>
/// Decides, before the upgrade, whether a <c>/voice</c> request may open a session. With <c>Auth:Mode=None</c>
/// everyone may; with <c>Token</c> the request must carry a valid bridge token (<see cref="TokenExtractor"/>).
/// </summary>
internal sealed class VoiceAuthorizer
{
    private readonly AuthOptions _options;
    private readonly BridgeTokenService _tokens;
    private readonly ILogger<VoiceAuthorizer> _logger;

    public VoiceAuthorizer(IOptions<AuthOptions> options, BridgeTokenService tokens, ILogger<VoiceAuthorizer> logger)
    {
        _options = options.Value;
        _tokens = tokens;
        _logger = logger;
    }

    /// <summary>Asynchronous only because the token library's validation is; it does no I/O here.</summary>
    public async ValueTask<AuthResult> AuthorizeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_options.Mode == AuthMode.None)
        {
            return AuthResult.Anonymous;
        }

        var clientAddress = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var extraction = TokenExtractor.Extract(context.Request);
        if (extraction.Conflicting)
        {
            return Refuse(clientAddress, AuthResult.Refused(
                AuthErrorCodes.InvalidToken,
                "Different tokens were presented in more than one place; send exactly one.",
                TokenSource.None));
        }

        if (extraction.Token is null)
        {
            return Refuse(clientAddress, AuthResult.Refused(
                AuthErrorCodes.MissingToken,
                "A token is required: offer the subprotocol openai-insecure-api-key.<token> next to realtime, or send ?access_token=<token> or Authorization: Bearer <token>.",
                TokenSource.None));
        }

        var token = await _tokens.ValidateAsync(extraction.Token).ConfigureAwait(false);
        if (!token.IsValid)
        {
            var (code, message) = Describe(token);
            return Refuse(clientAddress, AuthResult.Refused(code, message, extraction.Source, token.Failure));
        }

        SecurityLog.Authorized(_logger, clientAddress, token.Subject ?? "(none)", extraction.Source, token.ExpiresAt);

        return AuthResult.Authorized(token, extraction.Source);
    }

    /// <summary>The error code and a plain message for a refused token; never echoes the token.</summary>
    public static (string Code, string Message) Describe(TokenValidationResult token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token.Failure switch
        {
            TokenFailure.Expired => (AuthErrorCodes.TokenExpired, "The token has expired."),
            TokenFailure.NotYetValid => (AuthErrorCodes.TokenNotYetValid, "The token is not valid yet (nbf)."),
            TokenFailure.TooLarge => (AuthErrorCodes.InvalidToken, $"The token is longer than {BridgeTokenService.MaxTokenChars} characters."),
            TokenFailure.Malformed => (AuthErrorCodes.InvalidToken, "The token is not a compact JWT (three base64url segments of JSON objects, no repeated member)."),
            TokenFailure.AlgorithmNotAllowed => (AuthErrorCodes.InvalidToken, "The token must be signed with alg HS256."),
            TokenFailure.TypeNotAllowed => (AuthErrorCodes.InvalidToken, "The token typ must be JWT."),
            TokenFailure.CriticalHeaderNotSupported => (AuthErrorCodes.InvalidToken, "The token carries a crit header this server does not support."),
            TokenFailure.SignatureInvalid => (AuthErrorCodes.InvalidToken, "The token signature does not verify."),
            TokenFailure.ExpirationMissing => (AuthErrorCodes.InvalidToken, "The token has no exp claim."),
            TokenFailure.ClaimInvalid => (AuthErrorCodes.InvalidToken, $"A token claim has the wrong type: {token.Detail}"),
            TokenFailure.LifetimeTooLong => (AuthErrorCodes.InvalidToken, $"The token lives longer than this server allows: {token.Detail}"),
            TokenFailure.IssuerMismatch => (AuthErrorCodes.InvalidToken, "The token issuer (iss) is not the one this server accepts."),
            TokenFailure.AudienceMismatch => (AuthErrorCodes.InvalidToken, "The token audience (aud) does not include this server."),
            TokenFailure.SessionFieldNotAllowed => (AuthErrorCodes.InvalidToken, token.Detail ?? "The session claim sets a field this server does not allow."),
            _ => (AuthErrorCodes.InvalidToken, "The token is not valid."),
        };
    }

    private AuthResult Refuse(string clientAddress, AuthResult result)
    {
        SecurityLog.Refused(_logger, clientAddress, result.ErrorCode!, result.Failure.ToString(), result.Source);
        return result;
    }
}
