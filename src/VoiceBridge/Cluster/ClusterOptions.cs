namespace VoiceBridge.Cluster;

/// <summary>A fleet of nodes on Redis (section <c>VoiceBridge:Cluster</c>); off while <see cref="Redis"/> is empty.</summary>
internal sealed class ClusterOptions
{
    public const string SectionName = "VoiceBridge:Cluster";

    /// <summary>A StackExchange.Redis configuration string. A secret: it may hold a password; never logged.</summary>
    public string? Redis { get; set; }

    /// <summary>How this node appears in the fleet; empty = host name + process id.</summary>
    public string? NodeId { get; set; }

    /// <summary>Authenticates what nodes send each other. A secret: never logged.</summary>
    public string? Secret { get; set; }

    /// <summary>Where other nodes reach this one, on a private address.</summary>
    public string? InternalUrl { get; set; }

    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Sessions across the fleet; 0 = no fleet-wide cap.</summary>
    public int MaxFleetSessions { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Redis);

    public string EffectiveNodeId => string.IsNullOrWhiteSpace(NodeId) ? $"{Environment.MachineName}-{Environment.ProcessId}" : NodeId;
}
