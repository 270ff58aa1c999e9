using Microsoft.AspNetCore.Http.HttpResults;
using VoiceBridge.Diagnostics;

namespace VoiceBridge.Sessions;

/// <summary>
/// <c>GET /voice</c>: checks the upgrade, accepts the browser socket (selecting the <c>realtime</c> subprotocol
/// when offered, never echoing anything else), then runs one <see cref="BridgeSession"/> to its end.
/// </summary>
internal static class VoiceEndpoint
{
    public const string Path = "/voice";
    public const string OpenAICompatiblePath = "/v1/realtime";
    private const string RealtimeSubProtocol = "realtime";

    public static async Task<IResult> HandleAsync(HttpContext context, SessionFactory factory, SessionRegistry registry, ILogger<SessionRegistry> logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Error(StatusCodes.Status400BadRequest, "websocket_required", "GET /voice must be a WebSocket upgrade request.");
        }

        var audio = context.Request.Query["audio"];
        if (audio.Count > 1 || (audio.Count == 1 && audio[0] is not ("binary" or "json")))
        {
            return Error(StatusCodes.Status400BadRequest, "invalid_audio_mode", "The audio query parameter must be 'binary' or 'json'.");
        }

        if (registry.IsDraining)
        {
            Log.RefusedWhileDraining(logger);
            context.Response.Headers.RetryAfter = "5";
            return Error(StatusCodes.Status503ServiceUnavailable, "server_shutting_down", "The bridge is shutting down; retry on another instance.");
        }

        var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains(RealtimeSubProtocol) ? RealtimeSubProtocol : null;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subProtocol,
            DangerousEnableCompression = false,
        }).ConfigureAwait(false);

        var clientAddress = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        var binaryAudio = audio.Count == 1 && audio[0] == "binary";
        await using var session = factory.Create(socket, clientAddress, binaryAudio, context.RequestAborted);
        using (logger.BeginScope(new Dictionary<string, object> { ["SessionId"] = session.Id }))
        {
            registry.Add(session);
            Log.SessionOpened(logger, session.Id, clientAddress, subProtocol ?? "none", binaryAudio);
            SessionOutcome? outcome = null;
            try
            {
                outcome = await session.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                registry.Remove(session);
                var stats = session.Statistics;
                outcome ??= session.Outcome;
                Log.SessionClosed(
                    logger,
                    session.Id,
                    session.Elapsed.TotalSeconds,
                    outcome?.EndedBy.ToString() ?? "Bridge",
                    outcome?.Reason ?? SessionOutcome.InternalError,
                    Log.ToCode(outcome?.BrowserCloseStatus),
                    stats.FramesIn,
                    stats.BytesIn,
                    stats.FramesOut,
                    stats.BytesOut,
                    stats.UpstreamFramesIn,
                    clientAddress);
            }
        }

        return Results.Empty;
    }

    /// <summary>Rejections before the upgrade are plain HTTP with a JSON body.</summary>
    public static JsonHttpResult<ErrorBody> Error(int status, string code, string message) =>
        TypedResults.Json(new ErrorBody(new ErrorDetail(code, message)), statusCode: status);

    internal sealed record ErrorBody(ErrorDetail Error);

    internal sealed record ErrorDetail(string Code, string Message);
}
