namespace VoiceBridge.Simulator;

/// <summary>Tuning of the built-in realtime simulator (product default provider, test and benchmark upstream).</summary>
public sealed class SimulatorOptions
{
    /// <summary>After this long the session gets <c>session_expired</c> and a 1001 close, as the real service does after 60 minutes.</summary>
    public TimeSpan MaxSessionDuration { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Pacing between the audio deltas of a response; <see cref="TimeSpan.Zero"/> streams as fast as the socket allows.</summary>
    public TimeSpan DeltaInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Decoded bytes per audio delta: 4800 is 100 ms of PCM16 mono at 24 kHz.</summary>
    public int DeltaBytes { get; set; } = 4800;

    /// <summary>When set, the upgrade needs <c>Authorization: Bearer &lt;key&gt;</c> or <c>api-key: &lt;key&gt;</c>, else HTTP 401.</summary>
    public string? RequiredApiKey { get; set; }
}
