namespace VoiceBridge.Sessions;

/// <summary>
/// Per-session counters. Each field has a single writer (the loop that owns that direction), so plain
/// increments suffice; readers on other threads may see a value a frame old.
/// </summary>
internal sealed class SessionStatistics
{
    /// <summary>Messages received from the browser.</summary>
    public long FramesIn;

    public long BytesIn;

    /// <summary>Messages sent to the browser (an audio delta in binary mode counts as two).</summary>
    public long FramesOut;

    public long BytesOut;

    /// <summary>Messages received from upstream.</summary>
    public long UpstreamFramesIn;

    /// <summary>Times a frame for the browser found its queue full and had to wait.</summary>
    public long QueueFullWaits;
}
