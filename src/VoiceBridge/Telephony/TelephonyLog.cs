namespace VoiceBridge.Telephony;

/// <summary>Log lines of the telephony capability (event ids 160–169). Never the auth token, a signature or a stream token.</summary>
internal static partial class TelephonyLog
{
    [LoggerMessage(160, LogLevel.Warning, "Twilio {Route} refused: {Reason} (from {ClientAddress})")]
    public static partial void Refused(ILogger logger, string route, string reason, string clientAddress);

    [LoggerMessage(161, LogLevel.Information, "Twilio call {CallSid} answered: media stream offered")]
    public static partial void CallAnswered(ILogger logger, string callSid);

    [LoggerMessage(162, LogLevel.Warning, "Twilio media stream for call {CallSid} refused: {Reason}")]
    public static partial void StreamRefused(ILogger logger, string callSid, string reason);

    [LoggerMessage(163, LogLevel.Information, "Session {SessionId} is Twilio call {CallSid} (stream {StreamSid})")]
    public static partial void StreamStarted(ILogger logger, string sessionId, string callSid, string streamSid);

    [LoggerMessage(165, LogLevel.Debug, "Twilio media stream accepted: waiting {TimeoutSeconds} s for its start message")]
    public static partial void AwaitingStart(ILogger logger, double timeoutSeconds);

    [LoggerMessage(164, LogLevel.Information, "Twilio call {CallSid}: barge-in, truncated the assistant's item at {AudioEndMs} ms heard")]
    public static partial void BargeIn(ILogger logger, string callSid, long audioEndMs);
}
