using Microsoft.AspNetCore.Http.Features;
using VoiceBridge.Cluster;
using VoiceBridge.Diagnostics;
using VoiceBridge.Hosting;
using VoiceBridge.Limits;
using VoiceBridge.Security;
using VoiceBridge.WebSockets;

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

    /// <summary>Seconds a refused client should wait before trying again (503/429).</summary>
    private const string RetryAfterSeconds = "5";

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        SessionFactory factory,
        SessionRegistry registry,
        OriginPolicy origins,
        VoiceAuthorizer authorizer,
        SessionAdmission admission,
        SessionServices services,
        FleetRegistry fleet,
        ILogger<SessionRegistry> logger)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return JsonErrors.Error(StatusCodes.Status400BadRequest, "websocket_required", "GET /voice must be a WebSocket upgrade request.");
        }

        // In a fleet, Limits:ConnectsPerMinutePerIp also counts the upgrades other nodes took (this node's limiter ran first).
        if (await fleet.CheckRateAsync(ClientAddress(context)).ConfigureAwait(false) is { } wait)
        {
            return VoiceBridgeLimits.RateLimited(context, wait);
        }

        var audio = context.Request.Query["audio"];
        if (audio.Count > 1 || (audio.Count == 1 && audio[0] is not ("binary" or "json")))
        {
            return JsonErrors.Error(StatusCodes.Status400BadRequest, "invalid_audio_mode", "The audio query parameter must be 'binary' or 'json'.");
        }

        if (!BridgeEvents.TryParseQuery(context.Request.Query[BridgeEvents.QueryParameter], out var bridgeEvents))
        {
            return JsonErrors.Error(StatusCodes.Status400BadRequest, "invalid_bridge_events", "The bridge_events query parameter must be '1' or '0'.");
        }

        if (registry.IsDraining)
        {
            Log.RefusedWhileDraining(logger);
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            return JsonErrors.Error(StatusCodes.Status503ServiceUnavailable, "server_shutting_down", "The bridge is shutting down; retry on another instance.");
        }

        if (!origins.IsAllowed(context.Request))
        {
            Log.Refused(logger, "origin_not_allowed", ClientAddress(context));
            return JsonErrors.Error(StatusCodes.Status403Forbidden, "origin_not_allowed", "This origin may not open voice sessions.");
        }

        var requested = context.WebSockets.WebSocketRequestedProtocols;
        var subProtocol = requested.Contains(RealtimeSubProtocol) ? RealtimeSubProtocol : null;
        if (subProtocol is null && requested.Count > 0)
        {
            // Browsers fail a handshake whose answer selects none of the offered values, and the only other values a
            // realtime client offers carry secrets, which are never echoed: ask for the one value the bridge can select.
            return JsonErrors.Error(StatusCodes.Status400BadRequest, "subprotocol_required", "Offer the 'realtime' subprotocol next to any other.");
        }

        // A resume re-attaches a live session (its first connection's audio mode and bridge events apply).
        if (ResumeEndpoint.FindToken(context.Request) is { } resumeToken)
        {
            return await ResumeEndpoint.HandleAsync(context, resumeToken, subProtocol, authorizer, services, logger, mayRelay: true).ConfigureAwait(false);
        }

        var auth = await authorizer.AuthorizeAsync(context).ConfigureAwait(false);
        if (!auth.Succeeded)
        {
            return auth.ToErrorResult(context);
        }

        byte[]? tokenSessionUpdate = null;
        if (auth.Session is { } claim)
        {
            tokenSessionUpdate = Tools.ToolPolicy.KeepServerTools(services.TokenPolicy.BuildTokenSessionUpdate(claim), services.Tools?.Catalog);
        }

        // Per-user limits follow the token's subject; without tokens, the client address.
        var clientAddress = ClientAddress(context);
        var clientKey = auth.Subject is { } subject ? "sub:" + subject : "ip:" + clientAddress;
        var admitted = admission.TryAdmit(clientKey);
        var sessionId = SessionFactory.NewId();
        IAsyncDisposable? fleetRegistration = null;
        if (admitted.Verdict == AdmissionVerdict.Admitted)
        {
            // In a fleet the same limits (and Cluster:MaxFleetSessions) hold across nodes, with the same answers.
            var fleetAdmitted = await fleet.TryAdmitAsync(sessionId, clientKey).ConfigureAwait(false);
            fleetRegistration = fleetAdmitted.Registration;
            if (fleetAdmitted.Verdict != AdmissionVerdict.Admitted)
            {
                admitted.Lease?.Dispose();
                admitted = new AdmissionResult(fleetAdmitted.Verdict, null);
            }
        }

        if (admitted.Verdict != AdmissionVerdict.Admitted)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            var full = admitted.Verdict == AdmissionVerdict.ServerFull;
            Log.Refused(logger, full ? "server_busy" : "too_many_sessions", clientAddress);
            return full
                ? JsonErrors.Error(StatusCodes.Status503ServiceUnavailable, "server_busy", "The bridge is at its session limit; retry shortly.")
                : JsonErrors.Error(StatusCodes.Status429TooManyRequests, "too_many_sessions", "Too many simultaneous sessions for this client.");
        }

        using var lease = admitted.Lease;
        await using var registration = fleetRegistration;

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = subProtocol,
            DangerousEnableCompression = false,
        }).ConfigureAwait(false);

        var binaryAudio = audio.Count == 1 && audio[0] == "binary";
        var start = new SessionStart(sessionId, clientAddress, auth.Subject, binaryAudio, tokenSessionUpdate, bridgeEvents);
        await using var session = factory.Create(socket, start, context.RequestAborted);
        using (logger.BeginScope(new SessionLogScope(session.Id)))
        {
            registry.Add(session);
            Log.SessionOpened(logger, session.Id, clientAddress, auth.Subject ?? "-", subProtocol ?? "none", binaryAudio);
            SessionOutcome? outcome = null;
            try
            {
                outcome = await session.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                // Out of the fleet before out of the registry: once a node shows no session, the fleet counts none.
                if (fleetRegistration is not null)
                {
                    await fleetRegistration.DisposeAsync().ConfigureAwait(false);
                }

                AccountSessionEnd(session, outcome, registry, services, logger, clientAddress);
            }
        }

        // A browser that broke the protocol got its close from the WebSocket layer, which then let go of the connection:
        // hold it, reading, so that the close is not lost to a reset while the browser is still sending.
        if (session.Outcome?.Reason == SessionOutcome.BrowserProtocolError && context.Features.Get<IHttpUpgradeFeature>() is LingeringUpgrade upgrade)
        {
            await upgrade.LingerAsync(services.SocketOptions.CloseTimeout, services.TimeProvider).ConfigureAwait(false);
        }

        return Results.Empty;
    }

    /// <summary>The client's address as the bridge sees it (after a trusted proxy's <c>X-Forwarded-For</c>).</summary>
    public static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    /// <summary>
    /// A session's end, as every kind of leg accounts for it: out of the registry, the outcome counted by channel, and
    /// the one summary log line.
    /// </summary>
    internal static void AccountSessionEnd(BridgeSession session, SessionOutcome? outcome, SessionRegistry registry, SessionServices services, ILogger logger, string clientAddress)
    {
        registry.Remove(session);
        outcome ??= session.Outcome;
        services.Metrics.SessionClosed(outcome?.Reason ?? SessionOutcome.InternalError, session.Channel);
        var summary = session.Summary();
        Log.SessionClosed(
            logger,
            session.Id,
            summary.DurationSeconds,
            outcome?.EndedBy.ToString() ?? "Bridge",
            outcome?.Reason ?? SessionOutcome.InternalError,
            Log.ToCode(outcome?.BrowserCloseStatus),
            summary.FramesIn,
            summary.BytesIn,
            summary.AudioSecondsIn,
            summary.FramesOut,
            summary.BytesOut,
            summary.AudioSecondsOut,
            summary.Responses,
            summary.Tokens.Input,
            summary.Tokens.Output,
            summary.FirstAudio.Turns,
            summary.FirstAudio.P50Ms,
            summary.FirstAudio.MaxMs,
            clientAddress);
    }
}
