namespace VoiceBridge.Tools;

/// <summary>Log lines of the tools capability (event ids 60–69). Never arguments, results or secrets.</summary>
internal static partial class ToolsLog
{
    [LoggerMessage(60, LogLevel.Information, "Tool {Tool} call {CallId} ended {Outcome} in {DurationMs:0.0} ms")]
    public static partial void CallEnded(ILogger logger, string tool, string callId, string outcome, double durationMs);

    [LoggerMessage(61, LogLevel.Warning, "Tool {Tool} call {CallId}: its output could not be queued for the realtime service ({Delivery})")]
    public static partial void OutputNotDelivered(ILogger logger, string tool, string callId, string delivery);

    [LoggerMessage(62, LogLevel.Error, "Unexpected failure in a tool task ({Task})")]
    public static partial void TaskFailed(ILogger logger, string task, Exception exception);

    [LoggerMessage(63, LogLevel.Warning, "Webhooks are configured without VoiceBridge:Webhooks:Secret: requests to them are unsigned")]
    public static partial void UnsignedWebhooks(ILogger logger);

    [LoggerMessage(64, LogLevel.Information, "Session {SessionId} ended notice delivered: {Outcome}")]
    public static partial void SessionEndedDelivered(ILogger logger, string sessionId, string outcome);
}
