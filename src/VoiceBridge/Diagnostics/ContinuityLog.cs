namespace VoiceBridge.Diagnostics;

/// <summary>The log lines of upstream reconnect and rollover (event ids 90–92). Never a payload, a key or a transcript.</summary>
internal static partial class ContinuityLog
{
    [LoggerMessage(96, LogLevel.Information, "Upstream connection replaced ({Reason}): connection {Connection} of this session, {ReplayedItems} items replayed")]
    public static partial void UpstreamReplaced(ILogger logger, string reason, int connection, int replayedItems);

    [LoggerMessage(97, LogLevel.Warning, "Upstream reconnect failed ({Reason}): {Error} (HTTP {StatusCode}); ending the session")]
    public static partial void ReconnectFailed(ILogger logger, string reason, string error, int statusCode);

    [LoggerMessage(98, LogLevel.Warning, "Upstream rollover could not dial a new connection: {Error}; the current one carries on, next try in {RetrySeconds} s")]
    public static partial void RolloverDialFailed(ILogger logger, string error, double retrySeconds);
}
