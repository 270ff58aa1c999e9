namespace VoiceBridge.Sessions;

/// <summary>What became of an operator's event for the call.</summary>
internal enum AdminDelivery
{
    Queued,

    /// <summary>The queue stayed full for the whole timeout; the call goes on untouched.</summary>
    QueueFull,

    SessionEnded,
}
