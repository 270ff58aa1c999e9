using System.Net;
using Microsoft.Extensions.Options;
using VoiceBridge.Hosting;
using VoiceBridge.Security;
using VoiceBridge.Sessions;

namespace VoiceBridge.Cluster;

/// <summary>
/// <c>GET /internal/resume</c>, served only in a fleet: the owning node's end of a relayed resume (<see cref="ResumeRelay"/>).
/// A request whose signature is missing, stale (30 s), made for another node or not made with <c>Cluster:Secret</c> is
/// refused with 403 before anything else is looked at; a signed one runs exactly the local resume
/// (<see cref="ResumeEndpoint"/>: the token, the browser's credentials, the session's attach) with the hop's socket
/// standing for the browser's, and the browser's address as the client's.
/// </summary>
internal static class InternalResumeEndpoint
{
    public const string ForbiddenCode = "internal_request_forbidden";

    public static WebApplication MapFleetInternal(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.Enabled)
        {
            app.MapGet(ResumeHop.Path, HandleAsync);
        }

        return app;
    }

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        FleetRegistry fleet,
        IOptions<ClusterOptions> options,
        VoiceAuthorizer authorizer,
        SessionServices services,
        ILogger<ResumeRelay> logger)
    {
        var request = context.Request;
        var headers = request.Headers;
        var token = headers[ResumeHop.TokenHeader].ToString();
        var from = headers[ResumeHop.FromHeader].ToString();
        var to = headers[ResumeHop.ToHeader].ToString();
        var client = headers[ResumeHop.ClientHeader].ToString();
        var credentials = headers[ResumeHop.CredentialsHeader].ToString();
        string? refusal = null;
        if (!ResumeTokens.TryGetKey(token, out var key) || from.Length == 0 || client.Length == 0)
        {
            refusal = "not a resume hop";
        }
        else if (!FleetSignature.Verify(options.Value.Secret!, ResumeHop.Purpose, headers[ResumeHop.SignatureHeader].ToString(), services.TimeProvider.GetUtcNow(), ResumeHop.Payload(key, from, to, client, credentials)))
        {
            refusal = "missing, stale or invalid signature";
        }
        else if (to != fleet.NodeId)
        {
            refusal = "signed for another node";
        }
        else if (!context.WebSockets.IsWebSocketRequest || !ResumeHop.TryRestoreCredentials(credentials, request))
        {
            refusal = "malformed resume hop";
        }

        if (refusal is not null)
        {
            RelayLog.InternalRefused(logger, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", refusal);
            return JsonErrors.Error(StatusCodes.Status403Forbidden, ForbiddenCode, "Only a node of this fleet may make this request.");
        }

        // The browser's address, as the node it reached saw it: logs, and the authorizer's lines, name the real client.
        if (IPAddress.TryParse(client, out var address))
        {
            context.Connection.RemoteIpAddress = address;
        }

        // No subprotocol selected: the hop offered none (the browser's selection is made on the node it reached).
        return await ResumeEndpoint.HandleAsync(context, token, subProtocol: null, authorizer, services, logger, mayRelay: false).ConfigureAwait(false);
    }
}
