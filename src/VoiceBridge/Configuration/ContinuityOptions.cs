namespace VoiceBridge.Configuration;

/// <summary>How a call survives a network blip and the provider's session cap (section <c>VoiceBridge:Continuity</c>).</summary>
internal sealed class ContinuityOptions
{
    public const string SectionName = "VoiceBridge:Continuity";

    /// <summary>How long a session whose browser vanished waits for it to come back; zero turns resume off.</summary>
    public TimeSpan ResumeWindow { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Server events kept for a detached browser, in bytes; past it the session ends.</summary>
    public int ResumeBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Replace a dropped or expired upstream connection instead of ending the call.</summary>
    public bool ReconnectUpstream { get; set; } = true;

    /// <summary>After this long on one upstream connection, switch to a fresh one at the next quiet moment.</summary>
    public TimeSpan RolloverAfter { get; set; } = TimeSpan.FromMinutes(55);

    /// <summary>The most recent conversation items replayed into a new upstream connection.</summary>
    public int ReplayItems { get; set; } = 50;
}
