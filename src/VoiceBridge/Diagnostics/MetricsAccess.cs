namespace VoiceBridge.Diagnostics;

/// <summary>Who may read <c>GET /metrics</c> (<c>VoiceBridge:Telemetry:Metrics</c>).</summary>
internal enum MetricsAccess
{
    /// <summary>Anyone who can reach the port; the usual setup behind a private network.</summary>
    Open,

    /// <summary>Only with <c>Authorization: Bearer &lt;VoiceBridge:Admin:ApiKey&gt;</c>; otherwise 401.</summary>
    Protected,

    /// <summary>No route (404) and no in-process collection.</summary>
    Off,
}
