namespace VoiceBridge.Cluster;

/// <summary>
/// What the owner sends back on the request's reply channel: one <c>result</c> (status and JSON body; for a
/// <c>watch</c>, 200 starts the stream), then for a stream <c>event</c>, <c>dropped</c>, <c>alive</c> and last
/// <c>end</c> (its body the session's final account). <paramref name="Seq"/> rises by one per message, so a replayed
/// message is dropped.
/// </summary>
internal sealed record FleetReply(string Id, long Seq, string Kind, int Status = 0, string? Body = null, byte[]? Data = null, long Dropped = 0)
{
    public const string Answer = "result";
    public const string Event = "event";
    public const string DroppedKind = "dropped";
    public const string Alive = "alive";
    public const string End = "end";
}
