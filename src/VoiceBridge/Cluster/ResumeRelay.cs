using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Sessions;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Cluster;

/// <summary>
/// A resume whose token this node does not know, in a fleet: finds the owning node (<see cref="FleetResumeDirectory"/>),
/// opens the signed hop to its <c>InternalUrl</c> (<see cref="ResumeHop"/>), where the owner runs the local resume on
/// it as if it were the browser's socket. Every refusal comes back before the browser's upgrade, with the owner's status
/// and body; an accepted hop is answered by accepting the browser (the subprotocol selected as for a local resume) and
/// relaying both ways until either ends (<see cref="RelayPump"/>). The browser never learns where its session lives.
/// </summary>
internal sealed class ResumeRelay
{
    /// <summary>The whole hop handshake (connect, owner's checks, upgrade): past it the owner counts as unreachable.</summary>
    public static readonly TimeSpan HopTimeout = TimeSpan.FromSeconds(5);

    private readonly FleetResumeDirectory _directory;
    private readonly FleetRegistry _registry;
    private readonly ClusterOptions _options;
    private readonly BridgeSocketOptions _socketOptions;
    private readonly TimeProvider _timeProvider;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ResumeRelay> _logger;

    public ResumeRelay(
        FleetResumeDirectory directory,
        FleetRegistry registry,
        IOptions<ClusterOptions> options,
        IOptions<BridgeSocketOptions> socketOptions,
        TimeProvider timeProvider,
        IHostApplicationLifetime lifetime,
        ILogger<ResumeRelay> logger)
    {
        _directory = directory;
        _registry = registry;
        _options = options.Value;
        _socketOptions = socketOptions.Value;
        _timeProvider = timeProvider;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>
    /// Relays the resume to the owning node: null when no other node holds the token's session (or it cannot be
    /// reached: the caller answers 404 <c>resume_not_found</c>), else the answer, the relay having run to its end.
    /// </summary>
    public async Task<IResult?> TryRelayAsync(HttpContext context, string token, string? subProtocol, string clientAddress)
    {
        if (!_directory.Enabled || !ResumeTokens.TryGetKey(token, out var key))
        {
            return null;
        }

        var owner = await _directory.FindOwnerAsync(key).ConfigureAwait(false);
        if (owner is null || owner.NodeId == _registry.NodeId)
        {
            return null;
        }

        if (!Uri.TryCreate(owner.InternalUrl, UriKind.Absolute, out var internalUrl))
        {
            RelayLog.RelayFailed(_logger, clientAddress, owner.NodeId, "no InternalUrl in the fleet's directory");
            return null;
        }

        var hopUri = new UriBuilder(internalUrl) { Path = internalUrl.AbsolutePath.TrimEnd('/') + ResumeHop.Path, Query = string.Empty }.Uri;
        var credentials = ResumeHop.CollectCredentials(context.Request);
        var signature = FleetSignature.Sign(_options.Secret!, ResumeHop.Purpose, _timeProvider.GetUtcNow(), ResumeHop.Payload(key, _registry.NodeId, owner.NodeId, clientAddress, credentials));
        var headers = new List<KeyValuePair<string, string>>
        {
            new(ResumeHop.TokenHeader, token),
            new(ResumeHop.FromHeader, _registry.NodeId),
            new(ResumeHop.ToHeader, owner.NodeId),
            new(ResumeHop.ClientHeader, clientAddress),
            new(ResumeHop.SignatureHeader, signature),
        };
        if (credentials.Length > 0)
        {
            headers.Add(new(ResumeHop.CredentialsHeader, credentials));
        }

        HopAnswer answer;
        using (var timeout = new CancellationTokenSource(HopTimeout, _timeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, context.RequestAborted))
        {
            try
            {
                answer = await ResumeHopClient.ConnectAsync(hopUri, headers, _socketOptions.KeepAliveInterval, _socketOptions.KeepAliveTimeout, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The browser went away while the owner was asked: nothing was upgraded.
                return Results.Empty;
            }
            catch (Exception e) when (e is SocketException or IOException or WebSocketHandshakeException or OperationCanceledException or AuthenticationException)
            {
                RelayLog.RelayFailed(_logger, clientAddress, owner.NodeId, e is OperationCanceledException ? "no answer within " + HopTimeout.TotalSeconds + " s" : e.GetType().Name + ": " + e.Message);
                return null;
            }
        }

        if (answer.Socket is not { } hop)
        {
            return Refusal(answer, clientAddress, owner.NodeId);
        }

        using (hop)
        {
            System.Net.WebSockets.WebSocket browser;
            try
            {
                browser = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = subProtocol, DangerousEnableCompression = false }).ConfigureAwait(false);
            }
            catch
            {
                // No browser after all: to the owner, a socket that vanished (the session stays detached, resumable).
                hop.Abort();
                throw;
            }

            using (browser)
            {
                RelayLog.Relaying(_logger, clientAddress, owner.NodeId);
                var counters = new RelayCounters();
                using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _lifetime.ApplicationStopping);
                var ending = await RelayPump.RunAsync(browser, hop, _socketOptions.MaxMessageBytes, _socketOptions.CloseTimeout, _timeProvider, counters, stopping.Token).ConfigureAwait(false);
                RelayLog.Relayed(_logger, clientAddress, owner.NodeId, ending, counters.ToOwner, counters.ToBrowser);
            }
        }

        return Results.Empty;
    }

    /// <summary>The owner's refusal as the browser gets it: its 404, 401 and 403 <c>resume_forbidden</c> as they are; anything else is 404 here.</summary>
    private RelayedRefusal? Refusal(HopAnswer answer, string clientAddress, string ownerNode)
    {
        var relayable = answer.Status switch
        {
            StatusCodes.Status404NotFound or StatusCodes.Status401Unauthorized => true,
            StatusCodes.Status403Forbidden => ErrorCode(answer.Body) == ResumeEndpoint.ForbiddenCode,
            _ => false,
        };
        if (relayable)
        {
            return new RelayedRefusal(answer.Status, answer.Body, answer.ContentType, answer.WwwAuthenticate);
        }

        // A 403 of the hop itself means the nodes do not share Cluster:Secret (or their clocks are 30 s apart).
        RelayLog.RelayFailed(_logger, clientAddress, ownerNode, $"the owner answered {answer.Status} {ErrorCode(answer.Body) ?? string.Empty}".TrimEnd());
        return null;
    }

    private static string? ErrorCode(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The owner's answer, written as it came (status, body, and the 401's challenge).</summary>
    private sealed class RelayedRefusal(int status, byte[] body, string? contentType, string? wwwAuthenticate) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = status;
            response.ContentType = contentType ?? "application/json; charset=utf-8";
            if (wwwAuthenticate is not null)
            {
                response.Headers.WWWAuthenticate = wwwAuthenticate;
            }

            response.ContentLength = body.Length;
            await response.Body.WriteAsync(body).ConfigureAwait(false);
        }
    }
}
