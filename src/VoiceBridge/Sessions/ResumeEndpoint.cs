using Microsoft.AspNetCore.Http.Features;
using VoiceBridge.Hosting;
using VoiceBridge.Security;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// The resume branch of <c>GET /voice</c> (and <c>/v1/realtime</c>): an upgrade that presents a resume token
/// re-attaches its session instead of opening one. Every refusal happens before the upgrade. A resume takes no
/// admission: the detached session kept its lease.
/// </summary>
internal static class ResumeEndpoint
{
    /// <summary>The subprotocol entry that carries the token beside <c>realtime</c>; never echoed.</summary>
    public const string SubProtocolPrefix = "voicebridge-resume.";

    /// <summary>The query parameter alternative (query strings end up in proxy logs: the subprotocol is preferred).</summary>
    public const string QueryParameter = "resume_token";

    public const string NotFoundCode = "resume_not_found";
    public const string ForbiddenCode = "resume_forbidden";

    /// <summary>The token the request presents, the subprotocol entry first; null when it presents none.</summary>
    public static string? FindToken(HttpRequest request)
    {
        foreach (var value in request.Headers.SecWebSocketProtocol)
        {
            if (value is null)
            {
                continue;
            }

            foreach (var range in value.AsSpan().Split(','))
            {
                var entry = value.AsSpan(range).Trim(" \t");
                if (entry.StartsWith(SubProtocolPrefix, StringComparison.Ordinal))
                {
                    return entry[SubProtocolPrefix.Length..].ToString();
                }
            }
        }

        return request.Query.TryGetValue(QueryParameter, out var query) && query.Count > 0 ? query[0] ?? string.Empty : null;
    }

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        string token,
        string? subProtocol,
        VoiceAuthorizer authorizer,
        SessionServices services,
        ILogger logger,
        bool mayRelay)
    {
        var tokens = context.RequestServices.GetRequiredService<ResumeTokens>();
        var clientAddress = VoiceEndpoint.ClientAddress(context);
        var session = tokens.Find(token);
        if (session is null
            && mayRelay
            && context.RequestServices.GetService<Cluster.ResumeRelay>() is { } relay
            && await relay.TryRelayAsync(context, token, subProtocol, clientAddress).ConfigureAwait(false) is { } relayed)
        {
            // In a fleet, another node may hold the session: the browser is relayed there (or gets its refusal).
            return relayed;
        }

        if (session is null || session.HasEnded)
        {
            return NotFound(services, logger, clientAddress);
        }

        // With tokens in use, the resume carries the same end user's credentials (a fresh token is fine: a call outlives
        // its first token). A session opened without a subject needs only the resume token.
        if (session.Subject is { } subject)
        {
            var auth = await authorizer.AuthorizeAsync(context).ConfigureAwait(false);
            if (!auth.Succeeded)
            {
                return auth.ToErrorResult(context);
            }

            if (!string.Equals(auth.Subject, subject, StringComparison.Ordinal))
            {
                // Not spent: a stolen token presented by someone else must not lock its owner out.
                services.Metrics.Resume(ResumeOutcome.Forbidden);
                ResumeLog.Refused(logger, clientAddress, ForbiddenCode);
                return JsonErrors.Error(StatusCodes.Status403Forbidden, ForbiddenCode, "This resume token belongs to another user's session.");
            }
        }

        if (!tokens.TryClaim(token, session))
        {
            return NotFound(services, logger, clientAddress);
        }

        ResumeResult result;
        using (logger.BeginScope(new SessionLogScope(session.Id)))
        {
            try
            {
                result = await session.ResumeAsync(
                    () => context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol, DangerousEnableCompression = false }),
                    clientAddress,
                    context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away while waiting for its turn: nothing was upgraded.
                return Results.Empty;
            }
        }

        if (result == ResumeResult.SessionGone)
        {
            return NotFound(services, logger, clientAddress);
        }

        // As for a first connection: a browser that broke the protocol keeps its close instead of a reset.
        if (session.Outcome?.Reason == SessionOutcome.BrowserProtocolError && context.Features.Get<IHttpUpgradeFeature>() is LingeringUpgrade upgrade)
        {
            await upgrade.LingerAsync(services.SocketOptions.CloseTimeout, services.TimeProvider).ConfigureAwait(false);
        }

        return Results.Empty;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<JsonErrors.ErrorBody> NotFound(SessionServices services, ILogger logger, string clientAddress)
    {
        services.Metrics.Resume(ResumeOutcome.NotFound);
        ResumeLog.Refused(logger, clientAddress, NotFoundCode);
        return JsonErrors.Error(StatusCodes.Status404NotFound, NotFoundCode, "No session to resume: the resume token is unknown, already used, or its window has passed.");
    }
}
