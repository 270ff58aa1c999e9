using System.Net.WebSockets;

namespace VoiceBridge.Simulator;

/// <summary>Source-generated log definitions of the simulator (event ids 3100–3199).</summary>
internal static partial class SimulatorLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Simulator session {SessionId} started (model {Model}, dialect {Dialect})")]
    public static partial void SessionStarted(this ILogger logger, string sessionId, string model, SimulatorDialect dialect);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "Simulator session {SessionId} ended (socket {State}, close {CloseStatus})")]
    public static partial void SessionEnded(this ILogger logger, string sessionId, WebSocketState state, WebSocketCloseStatus? closeStatus);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Simulator session {SessionId}: the client went away")]
    public static partial void PeerGone(this ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Simulator session {SessionId}: client event rejected with {Code}: {ErrorMessage}")]
    public static partial void ClientEventRejected(this ILogger logger, string sessionId, string code, string errorMessage);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Debug, Message = "Simulator session {SessionId}: closing with {CloseStatus} ({Reason})")]
    public static partial void Closing(this ILogger logger, string sessionId, WebSocketCloseStatus closeStatus, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Debug, Message = "Simulator session {SessionId}: the client did not finish the close handshake in time; aborting")]
    public static partial void CloseHandshakeTimedOut(this ILogger logger, string sessionId);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "Simulator upgrade refused with HTTP {StatusCode}: {Reason}")]
    public static partial void UpgradeRefused(this ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "Simulator refused the beta interface (OpenAI-Beta: realtime=v1)")]
    public static partial void BetaRefused(this ILogger logger);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "Realtime simulator listening on {Endpoint}")]
    public static partial void HostListening(this ILogger logger, Uri endpoint);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Debug, Message = "Simulator session {SessionId}: a background task failed")]
    public static partial void BackgroundTaskFailed(this ILogger logger, string sessionId, Exception exception);

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "Simulator session {SessionId}: handling a client event failed")]
    public static partial void HandlerFailed(this ILogger logger, string sessionId, Exception exception);
}
