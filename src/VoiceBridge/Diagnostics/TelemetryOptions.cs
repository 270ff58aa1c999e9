namespace VoiceBridge.Diagnostics;

/// <summary>Metrics exposure (section <c>VoiceBridge:Telemetry</c>).</summary>
internal sealed class TelemetryOptions
{
    public const string SectionName = "VoiceBridge:Telemetry";

    public const int MaxForwardSampleEvery = 1_000_000;

    /// <summary><c>Open</c> (default), <c>Protected</c> (needs the admin key) or <c>Off</c>.</summary>
    public MetricsAccess Metrics { get; set; } = MetricsAccess.Open;

    /// <summary>
    /// <c>voicebridge_forward_seconds</c> times one frame in this many (per thread): two timestamps and a
    /// histogram record are cheap, but not free on every audio frame. 1 times every frame.
    /// </summary>
    public int ForwardSampleEvery { get; set; } = 16;
}
