namespace VoiceBridge.Cluster;

/// <summary>
/// An admin action one node asks of the node that holds the session, published on that node's command channel.
/// <paramref name="Id"/> is unique per message (the replay guard's key, and the reply channel's name);
/// <paramref name="To"/> binds it to one node, so a command captured on one node's channel is refused on another's.
/// <paramref name="Watch"/> names the event stream a <c>renew</c> or <c>unwatch</c> is about.
/// </summary>
internal sealed record FleetCommand(string Id, string From, string To, string Action, string Session, string? Watch = null, string? Reason = null, byte[]? Event = null)
{
    /// <summary>The asker still relays this stream (sent every <see cref="FleetAdminTimings.RenewPeriod"/>).</summary>
    public const string Renew = "renew";

    /// <summary>The asker stopped relaying this stream.</summary>
    public const string Unwatch = "unwatch";
}
