using System.Text.Json;

namespace VoiceBridge.Security;

/// <summary>The outcome of <see cref="BridgeTokenService.ValidateAsync"/>: a failure reason, or the claims the bridge uses.</summary>
internal sealed class TokenValidationResult
{
    private TokenValidationResult(TokenFailure failure, string? detail, string? subject, JsonElement? session, DateTimeOffset expiresAt)
    {
        Failure = failure;
        Detail = detail;
        Subject = subject;
        Session = session;
        ExpiresAt = expiresAt;
    }

    public bool IsValid => Failure == TokenFailure.None;

    public TokenFailure Failure { get; }

    /// <summary>Extra words for a failure (e.g. the session fields refused). Never carries the token or the key.</summary>
    public string? Detail { get; }

    /// <summary>The <c>sub</c> claim (the end user), when the token is valid and carries one.</summary>
    public string? Subject { get; }

    /// <summary>The validated <c>session</c> claim (a detached clone), when the token is valid and carries one.</summary>
    public JsonElement? Session { get; }

    public DateTimeOffset ExpiresAt { get; }

    public static TokenValidationResult Valid(string? subject, JsonElement? session, DateTimeOffset expiresAt) =>
        new(TokenFailure.None, null, subject, session, expiresAt);

    public static TokenValidationResult Fail(TokenFailure failure, string? detail = null)
    {
        if (failure == TokenFailure.None)
        {
            throw new ArgumentOutOfRangeException(nameof(failure), "A failure needs a reason.");
        }

        return new(failure, detail, null, null, default);
    }

    public override string ToString() => IsValid ? "Valid" : Failure.ToString();
}
