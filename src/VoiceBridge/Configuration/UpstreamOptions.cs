using System.ComponentModel.DataAnnotations;

namespace VoiceBridge.Configuration;

/// <summary>Where and how the bridge reaches the realtime service (section <c>VoiceBridge:Upstream</c>).</summary>
internal sealed class UpstreamOptions
{
    public const string SectionName = "VoiceBridge:Upstream";

    public string Url { get; set; } = "wss://api.openai.com/v1/realtime";

    public string Model { get; set; } = "gpt-realtime";

    /// <summary>Falls back to the <c>OPENAI_API_KEY</c> environment variable. Never logged.</summary>
    public string? ApiKey { get; set; }

    public UpstreamProvider Provider { get; set; } = UpstreamProvider.OpenAI;

    public SessionShape SessionShape { get; set; } = SessionShape.GA;

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    [Range(1, 20)]
    public int ConnectAttempts { get; set; } = 3;

    /// <summary>Base delay of the jittered exponential backoff between connect attempts (not in the contract table; tests shorten it).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(250);
}

internal enum UpstreamProvider
{
    OpenAI,
    Azure,
    Simulator,
}

internal enum SessionShape
{
    GA,
    Beta,
}
