using System.Text.Json;
using VoiceBridge.Hosting;

namespace VoiceBridge.Security;

/// <summary>
/// The answer of <see cref="VoiceAuthorizer"/> for one <c>/voice</c> upgrade: go ahead (with the end user and the
/// token's session claim), or a 401 to send instead of upgrading.
/// </summary>
internal sealed class AuthResult
{
    private AuthResult(bool succeeded, string? subject, JsonElement? session, TokenSource source, DateTimeOffset? expiresAt, TokenFailure failure, string? errorCode, string? errorMessage)
    {
        Succeeded = succeeded;
        Subject = subject;
        Session = session;
        Source = source;
        ExpiresAt = expiresAt;
        Failure = failure;
        ErrorCode = errorCode;
        ErrorMessage = errorMessage;
    }

    /// <summary><c>Auth:Mode=None</c>: everyone may connect, nobody is named.</summary>
    public static AuthResult Anonymous { get; } = new(true, null, null, TokenSource.None, null, TokenFailure.None, null, null);

    public bool Succeeded { get; }

    /// <summary>The token's <c>sub</c> (the end user, for per-user limits and logs); null without one or with <c>Mode=None</c>.</summary>
    public string? Subject { get; }

    /// <summary>
    /// The token's validated <c>session</c> claim (a detached JSON object, only fields of <c>Session:TokenMayUpdate</c>
    /// and <c>type</c>), to send as a second <c>session.update</c> right after the server's; null when absent.
    /// </summary>
    public JsonElement? Session { get; }

    public TokenSource Source { get; }

    /// <summary>The token's <c>exp</c>; it bounds new connections only, not a session already open.</summary>
    public DateTimeOffset? ExpiresAt { get; }

    /// <summary>The validation rule that failed (<see cref="TokenFailure.None"/> on success or for a missing token).</summary>
    public TokenFailure Failure { get; }

    /// <summary>HTTP status of the rejection: 401, or 200 when <see cref="Succeeded"/>.</summary>
    public int StatusCode => Succeeded ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized;

    /// <summary>One of <see cref="AuthErrorCodes"/> on failure.</summary>
    public string? ErrorCode { get; }

    public string? ErrorMessage { get; }

    public static AuthResult Authorized(TokenValidationResult token, TokenSource source)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (!token.IsValid)
        {
            throw new ArgumentException("Only a valid token authorizes.", nameof(token));
        }

        return new(true, token.Subject, token.Session, source, token.ExpiresAt, TokenFailure.None, null, null);
    }

    public static AuthResult Refused(string errorCode, string message, TokenSource source, TokenFailure failure = TokenFailure.None) =>
        new(false, null, null, source, null, failure, errorCode, message);

    /// <summary>
    /// The 401 to return instead of upgrading: <c>{"error":{"code","message"}}</c> plus the RFC 6750
    /// <c>WWW-Authenticate</c> challenge.
    /// </summary>
    /// <exception cref="InvalidOperationException">The result is a success.</exception>
    public IResult ToErrorResult(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (Succeeded)
        {
            throw new InvalidOperationException("A successful authorization has no error result.");
        }

        context.Response.Headers.WWWAuthenticate = ErrorCode == AuthErrorCodes.MissingToken
            ? "Bearer"
            : "Bearer error=\"invalid_token\"";
        return JsonErrors.Error(StatusCode, ErrorCode!, ErrorMessage!);
    }

    public override string ToString() => Succeeded ? "Authorized" : ErrorCode!;
}
