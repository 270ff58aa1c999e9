namespace VoiceBridge.Sessions;

/// <summary>Log lines of continuity's resume half (event ids 90–99). Never a token: session ids, counts and reasons only.</summary>
internal static partial class ResumeLog
{
    [LoggerMessage(90, LogLevel.Information, "Session {SessionId} detached: the browser vanished; waiting {WindowSeconds} s for it to resume")]
    public static partial void Detached(ILogger logger, string sessionId, double windowSeconds);

    [LoggerMessage(91, LogLevel.Information, "Session {SessionId} resumed from {ClientAddress}: {ReplayedEvents} kept events ({KeptBytes} bytes) replayed{Replaced}")]
    public static partial void Resumed(ILogger logger, string sessionId, string clientAddress, int replayedEvents, long keptBytes, string replaced);

    [LoggerMessage(92, LogLevel.Information, "Session {SessionId} was not resumed within {WindowSeconds} s")]
    public static partial void Expired(ILogger logger, string sessionId, double windowSeconds);

    [LoggerMessage(93, LogLevel.Warning, "Session {SessionId} kept more than {LimitBytes} bytes for its detached browser and ends")]
    public static partial void Overflow(ILogger logger, string sessionId, int limitBytes);

    [LoggerMessage(94, LogLevel.Information, "Refused a resume from {ClientAddress}: {ErrorCode}")]
    public static partial void Refused(ILogger logger, string clientAddress, string errorCode);

    [LoggerMessage(95, LogLevel.Information, "Session {SessionId}: the resumed socket went away while its kept events were replayed; still detached")]
    public static partial void ReplayFailed(ILogger logger, string sessionId);
}
