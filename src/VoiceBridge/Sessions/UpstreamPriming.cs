using System.Net.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// What a replacement upstream connection is sent before the queued browser frames (the session's effective
/// configuration, then the replayed items), and what its answers to them look like, so that the browser never sees
/// them: its <c>session.created</c>, one <c>session.updated</c> per configuration frame, and the acknowledgements of the
/// replayed items.
/// </summary>
/// <param name="Socket">The connection this priming belongs to (events of any other connection are not its answers).</param>
/// <param name="SessionUpdates">How many of <paramref name="Frames"/> are <c>session.update</c>s (they come first).</param>
/// <param name="ReplayedItemIds">The ids the replayed items were created with.</param>
internal sealed record UpstreamPriming(WebSocket Socket, ReadOnlyMemory<byte>[] Frames, int SessionUpdates, IReadOnlySet<string> ReplayedItemIds)
{
    /// <summary>Every event id the bridge gives a priming frame starts with this; errors answering one are not forwarded.</summary>
    public const string EventIdPrefix = "event_vb_prime_";

    public int ReplayedItems => ReplayedItemIds.Count;
}
