namespace VoiceBridge.Security;

/// <summary>The bridge's own management routes (section <c>VoiceBridge:Admin</c>).</summary>
internal sealed class AdminOptions
{
    public const string SectionName = "VoiceBridge:Admin";

    /// <summary>Bearer key for the management routes; unset = those routes answer 404. Never logged.</summary>
    public string? ApiKey { get; set; }
}
