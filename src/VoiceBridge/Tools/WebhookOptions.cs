namespace VoiceBridge.Tools;

/// <summary><c>VoiceBridge:Webhooks</c>: how the bridge calls its webhooks (server tools and the session-ended notice).</summary>
internal sealed class WebhookOptions
{
    public const string SectionName = "VoiceBridge:Webhooks";

    /// <summary>Standard Webhooks signing secret, <c>whsec_&lt;base64&gt;</c>; empty = unsigned requests. A secret: never logged.</summary>
    public string? Secret { get; set; }

    /// <summary>The whole call, retries included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A 2xx body larger than this is a failed call (<c>tool_failed</c>).</summary>
    public int MaxResultBytes { get; set; } = 65536;

    /// <summary>Server tool calls running at once in one session; more wait for a free slot.</summary>
    public int MaxConcurrentCallsPerSession { get; set; } = 4;

    /// <summary>Where every session's end is posted; empty = off.</summary>
    public string? SessionEndedUrl { get; set; }

    /// <summary>Entries of the session-ended transcript; older ones are dropped first.</summary>
    public int MaxTranscriptItems { get; set; } = 1000;

    /// <summary>First retry delay (exponential with jitter after it). Not in the contract's table: an operator rarely needs it.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
