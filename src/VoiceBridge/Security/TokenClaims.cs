using System.Text.Json;

namespace VoiceBridge.Security;

/// <summary>What the bridge writes into a token it mints. Times are written as whole NumericDate seconds.</summary>
internal sealed record TokenClaims
{
    public required DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? IssuedAt { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public string? Subject { get; init; }

    public string? Issuer { get; init; }

    public string? Audience { get; init; }

    /// <summary>A partial GA session object; must be a JSON object when set.</summary>
    public JsonElement? Session { get; init; }
}
