using VoiceBridge.Sessions;

namespace VoiceBridge.Cluster;

/// <summary>The bounds of admin routing between nodes (no configuration key: CONTRACT.md names none).</summary>
internal static class FleetAdminTimings
{
    /// <summary>
    /// How long an asking node waits for the owner's answer before 502 <c>node_unreachable</c>. The owner may itself
    /// wait up to <see cref="BridgeSession.AdminDeliveryTimeout"/> for room in a full queue (then answers 409), so the
    /// bound is that plus two seconds for the two Redis hops on a loaded host. A node that is gone is usually known
    /// at once instead: nobody is subscribed to its command channel, so the publish reaches no one.
    /// </summary>
    public static readonly TimeSpan ReplyTimeout = BridgeSession.AdminDeliveryTimeout + TimeSpan.FromSeconds(2);

    /// <summary>The owner's keep-alive on a relayed event stream while the session is quiet.</summary>
    public static readonly TimeSpan AlivePeriod = TimeSpan.FromSeconds(2);

    /// <summary>Heard nothing from the owner for this long (three keep-alives missed): the relayed stream ends.</summary>
    public static readonly TimeSpan OwnerSilenceLimit = AlivePeriod * 3;

    /// <summary>How often the asking node tells the owner it still relays a stream.</summary>
    public static readonly TimeSpan RenewPeriod = TimeSpan.FromSeconds(2);

    /// <summary>No renewal for this long (three missed): the owner stops publishing, so a vanished asker leaks nothing.</summary>
    public static readonly TimeSpan InterestLimit = RenewPeriod * 3;
}
