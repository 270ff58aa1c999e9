namespace VoiceBridge.Cluster;

/// <summary>The node that holds a session: <see cref="Node"/> to ask, or none (<see cref="IsUnreachable"/> tells 404 from 502).</summary>
internal readonly record struct FleetOwner(string? Node, bool IsUnreachable = false)
{
    public static FleetOwner None => new(null);

    public static FleetOwner Unreachable => new(null, IsUnreachable: true);
}
