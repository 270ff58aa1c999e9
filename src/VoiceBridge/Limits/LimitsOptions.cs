namespace VoiceBridge.Limits;

/// <summary>Where sessions may come from and how much they may use (section <c>VoiceBridge:Limits</c>).</summary>
internal sealed class LimitsOptions
{
    public const string SectionName = "VoiceBridge:Limits";

    /// <summary>Empty = any origin. When set, an upgrade whose <c>Origin</c> is present and not listed gets 403.</summary>
    public List<string> AllowedOrigins { get; set; } = [];

    public int MaxSessions { get; set; } = 1000;

    public int MaxSessionsPerClient { get; set; } = 20;

    public int ConnectsPerMinutePerIp { get; set; } = 120;

    /// <summary>Only these addresses (or CIDR ranges) may set the client IP through <c>X-Forwarded-For</c>.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    public TimeSpan MaxSessionDuration { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The audio bucket refills at this many times real time.</summary>
    public double MaxAudioRate { get; set; } = 4;

    /// <summary>How much audio the bucket holds (it starts full).</summary>
    public TimeSpan AudioBurst { get; set; } = TimeSpan.FromSeconds(10);
}
