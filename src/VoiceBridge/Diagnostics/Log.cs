using System.Net.WebSockets;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Every log line the bridge writes, source-generated with stable event ids. Nothing here takes a key,
/// a header, a query string or a payload: those never reach a log.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "VoiceBridge starting: upstream provider {Provider}, endpoint {UpstreamHost}, session shape {SessionShape}")]
    public static partial void Starting(ILogger logger, string provider, string upstreamHost, string sessionShape);

    [LoggerMessage(2, LogLevel.Warning, "No API key is configured and the environment is Development: using the built-in realtime simulator (no network, no cost). Set VoiceBridge:Upstream:ApiKey or OPENAI_API_KEY to reach the real service.")]
    public static partial void SimulatorFallback(ILogger logger);

    [LoggerMessage(10, LogLevel.Information, "Session {SessionId} opened from {ClientAddress} for subject {Subject} (subprotocol {SubProtocol}, binary audio {BinaryAudio})")]
    public static partial void SessionOpened(ILogger logger, string sessionId, string clientAddress, string subject, string subProtocol, bool binaryAudio);

    [LoggerMessage(11, LogLevel.Information, "Session {SessionId} closed after {DurationSeconds:0.000} s: {EndedBy} ended first ({Reason}), browser close {CloseCode}; from browser {FramesIn} frames / {BytesIn} bytes / {AudioSecondsIn:0.00} s audio, to browser {FramesOut} frames / {BytesOut} bytes / {AudioSecondsOut:0.00} s audio; {Responses} responses, tokens in {InputTokens} out {OutputTokens}; first audio over {Turns} turns p50 {FirstAudioP50Ms} ms max {FirstAudioMaxMs} ms; client {ClientAddress}")]
    public static partial void SessionClosed(
        ILogger logger,
        string sessionId,
        double durationSeconds,
        string endedBy,
        string reason,
        int closeCode,
        long framesIn,
        long bytesIn,
        double audioSecondsIn,
        long framesOut,
        long bytesOut,
        double audioSecondsOut,
        long responses,
        long inputTokens,
        long outputTokens,
        int turns,
        double? firstAudioP50Ms,
        double? firstAudioMaxMs,
        string clientAddress);

    [LoggerMessage(12, LogLevel.Warning, "Browser frame over the {MaxMessageBytes} byte limit: closing with 1009")]
    public static partial void MessageTooBig(ILogger logger, int maxMessageBytes);

    [LoggerMessage(13, LogLevel.Warning, "Upstream frame over the {MaxMessageBytes} byte limit: ending the session")]
    public static partial void UpstreamMessageTooBig(ILogger logger, int maxMessageBytes);

    [LoggerMessage(14, LogLevel.Warning, "Browser left its queue full for {TimeoutSeconds} s ({Queued} frames waiting): closing as a slow consumer")]
    public static partial void SlowConsumer(ILogger logger, double timeoutSeconds, int queued);

    [LoggerMessage(15, LogLevel.Error, "Unexpected failure in the {Loop} loop")]
    public static partial void LoopFailed(ILogger logger, string loop, Exception exception);

    [LoggerMessage(16, LogLevel.Debug, "The {Side} socket ended without a close handshake: {Reason}")]
    public static partial void SocketEnded(ILogger logger, string side, string reason);

    [LoggerMessage(20, LogLevel.Debug, "Upstream connected in {ElapsedMs:0.0} ms")]
    public static partial void UpstreamConnected(ILogger logger, double elapsedMs);

    [LoggerMessage(21, LogLevel.Warning, "Upstream connect attempt failed ({Reason}); attempt {NextAttempt} in {DelayMs:0} ms")]
    public static partial void UpstreamConnectRetry(ILogger logger, int nextAttempt, string reason, double delayMs);

    [LoggerMessage(22, LogLevel.Warning, "Upstream connect failed: {Reason} (HTTP {StatusCode})")]
    public static partial void UpstreamConnectFailed(ILogger logger, string reason, int statusCode);

    [LoggerMessage(30, LogLevel.Information, "Shutting down: draining {SessionCount} live sessions")]
    public static partial void Draining(ILogger logger, int sessionCount);

    [LoggerMessage(31, LogLevel.Warning, "Shutdown budget elapsed with {SessionCount} sessions still closing")]
    public static partial void DrainIncomplete(ILogger logger, int sessionCount);

    [LoggerMessage(32, LogLevel.Information, "Refused a /voice upgrade while draining for shutdown")]
    public static partial void RefusedWhileDraining(ILogger logger);

    [LoggerMessage(33, LogLevel.Information, "Refused a /voice upgrade from {ClientAddress}: {Reason}")]
    public static partial void Refused(ILogger logger, string reason, string clientAddress);

    // Events 40 and 41 (a plain HTTP request, a probe or scrape) are Serilog's request line: Hosting/LoggingSetup.cs.

    public static int ToCode(WebSocketCloseStatus? status) => status is null ? 1005 : (int)status.Value;
}
