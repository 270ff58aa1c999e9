namespace VoiceBridge.Security;

/// <summary>Who may open a session (section <c>VoiceBridge:Auth</c>).</summary>
internal sealed class AuthOptions
{
    public const string SectionName = "VoiceBridge:Auth";

    /// <summary><c>None</c> (anyone who can reach /voice; a loud warning in Production) or <c>Token</c>.</summary>
    public AuthMode Mode { get; set; } = AuthMode.None;

    /// <summary>Base64, at least 32 bytes; required when <see cref="Mode"/> is <c>Token</c>. Never logged.</summary>
    public string? SigningKey { get; set; }

    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    public string? Issuer { get; set; }

    public string? Audience { get; set; }
}

internal enum AuthMode
{
    None,
    Token,
}
