namespace VoiceBridge.Cluster;

/// <summary>Why a message from the fleet was refused (or that it was not).</summary>
internal enum FleetMessageVerdict
{
    Accepted,
    Unsigned,
    BadSignature,
    Stale,
    Unreadable,
    Replayed,
    OtherNode,
}
