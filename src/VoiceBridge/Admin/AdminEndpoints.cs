using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using VoiceBridge.Cluster;
using VoiceBridge.Hosting;
using VoiceBridge.Realtime;
using VoiceBridge.Security;
using VoiceBridge.Sessions;

namespace VoiceBridge.Admin;

/// <summary>
/// The operator's hand on live calls, under <c>/admin</c>: list and inspect sessions, push an event into a call or
/// to its browser, interrupt the assistant, end the call, and watch its events. Enabled only when
/// <c>Admin:ApiKey</c> is set (else 404); every route needs <c>Authorization: Bearer &lt;Admin:ApiKey&gt;</c> (else 401).
/// </summary>
internal static class AdminEndpoints
{
    public const string Prefix = "/admin";

    /// <summary>Events an SSE watcher may fall behind by before it starts losing them (and is told so).</summary>
    public const int WatcherCapacity = 256;

    private const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup(Prefix).AddEndpointFilter(RequireAdminKeyAsync);
        admin.MapGet("/sessions", ListSessions);
        admin.MapGet("/sessions/{id}", GetSession);
        admin.MapPost("/sessions/{id}/upstream", InjectUpstreamAsync);
        admin.MapPost("/sessions/{id}/client", PushToClientAsync);
        admin.MapPost("/sessions/{id}/interrupt", InterruptAsync);
        admin.MapDelete("/sessions/{id}", EndSession);
        admin.MapGet("/sessions/{id}/events", WatchEventsAsync);
        return endpoints;
    }

    private static async ValueTask<object?> RequireAdminKeyAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var adminKey = context.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey;
        if (AdminKeyCheck.TryRefuse(context, adminKey, out var refusal, out var code))
        {
            if (code != AuthErrorCodes.NotFound)
            {
                AdminAudit.Refused(context.RequestServices.GetRequiredService<ILogger<AdminAudit>>(), code, Caller(context));
            }

            return refusal;
        }

        return await next(invocation).ConfigureAwait(false);
    }

    private static async Task<IResult> ListSessions(HttpContext context, SessionRegistry registry, FleetRegistry fleet, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "list", "-", Caller(context));
        var sessions = LocalList(registry, fleet.Enabled ? fleet.NodeId : null);
        if (fleet.Enabled)
        {
            // The other nodes' lists as they published them (at most a heartbeat old); without Redis, this node's only.
            var others = await fleet.OtherNodesListsAsync().ConfigureAwait(false);
            sessions = [.. sessions, .. others.SelectMany(json => JsonSerializer.Deserialize<SessionListItem[]>(json, JsonSerializerOptions.Web) ?? [])];
            Array.Sort(sessions, static (x, y) => x.StartedAt.CompareTo(y.StartedAt));
        }

        return Results.Json(new SessionList(sessions));
    }

    /// <summary>This node's sessions as <c>GET /admin/sessions</c> lists them; <paramref name="node"/> only in a fleet.</summary>
    internal static SessionListItem[] LocalList(SessionRegistry registry, string? node) => registry.Sessions
        .OrderBy(s => s.StartedAt)
        .Select(s => new SessionListItem(s.Id, s.ClientAddress, s.Subject, s.StartedAt, s.StateName, s.Statistics.FramesIn, s.Statistics.FramesOut, s.Statistics.BytesIn, s.Statistics.BytesOut, s.Channel, s.Call?.CallSid, node))
        .ToArray();

    private static async Task<IResult> GetSession(string id, HttpContext context, SessionRegistry registry, FleetAdminRouter router, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "get", id, Caller(context));
        return registry.TryGet(id, out var session)
            ? (await AdminActions.ExecuteAsync(session!, AdminActions.Get, null, null, context.RequestAborted).ConfigureAwait(false)).ToResult()
            : await RouteAsync(id, AdminActions.Get, context, router, withEvent: false, reason: null).ConfigureAwait(false);
    }

    private static Task<IResult> InjectUpstreamAsync(string id, HttpContext context, SessionRegistry registry, FleetAdminRouter router, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "inject upstream", id, Caller(context));
        return WithEventAsync(id, AdminActions.Upstream, context, registry, router);
    }

    private static Task<IResult> PushToClientAsync(string id, HttpContext context, SessionRegistry registry, FleetAdminRouter router, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "push to client", id, Caller(context));
        return WithEventAsync(id, AdminActions.Client, context, registry, router);
    }

    private static async Task<IResult> InterruptAsync(string id, HttpContext context, SessionRegistry registry, FleetAdminRouter router, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "interrupt", id, Caller(context));
        return registry.TryGet(id, out var session)
            ? (await AdminActions.ExecuteAsync(session!, AdminActions.Interrupt, null, null, context.RequestAborted).ConfigureAwait(false)).ToResult()
            : await RouteAsync(id, AdminActions.Interrupt, context, router, withEvent: false, reason: null).ConfigureAwait(false);
    }

    private static async Task<IResult> EndSession(string id, string? reason, HttpContext context, SessionRegistry registry, FleetAdminRouter router, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "end", id, Caller(context));
        return registry.TryGet(id, out var session)
            ? (await AdminActions.ExecuteAsync(session!, AdminActions.End, null, reason, context.RequestAborted).ConfigureAwait(false)).ToResult()
            : await RouteAsync(id, AdminActions.End, context, router, withEvent: false, reason).ConfigureAwait(false);
    }

    /// <summary>The session is checked before the body, on this node or in the fleet, so both answer in the same order (404, then 400).</summary>
    private static async Task<IResult> WithEventAsync(string id, string action, HttpContext context, SessionRegistry registry, FleetAdminRouter router)
    {
        if (!registry.TryGet(id, out var session))
        {
            return await RouteAsync(id, action, context, router, withEvent: true, reason: null).ConfigureAwait(false);
        }

        var body = await ReadEventAsync(context).ConfigureAwait(false);
        return body.Error ?? (await AdminActions.ExecuteAsync(session!, action, body.Event, null, context.RequestAborted).ConfigureAwait(false)).ToResult();
    }

    /// <summary>
    /// A session this node does not hold: in a fleet, the action runs on its node and its answer is passed on as it is
    /// (the same status and body as if the session were here); 404 when no node has it, 502 <c>node_unreachable</c>
    /// when its node (or Redis) cannot be reached.
    /// </summary>
    private static async Task<IResult> RouteAsync(string id, string action, HttpContext context, FleetAdminRouter router, bool withEvent, string? reason)
    {
        var owner = await router.FindOwnerAsync(id, action).ConfigureAwait(false);
        if (owner.Node is not { } node)
        {
            return owner.IsUnreachable ? AdminActions.NodeUnreachable(id).ToResult() : AdminActions.UnknownSession(id).ToResult();
        }

        byte[]? clientEvent = null;
        if (withEvent)
        {
            var body = await ReadEventAsync(context).ConfigureAwait(false);
            if (body.Error is { } error)
            {
                return error;
            }

            clientEvent = body.Event;
        }

        var reply = await router.SendAsync(node, action, id, clientEvent, reason, context.RequestAborted).ConfigureAwait(false);
        return reply is { Body: { } json }
            ? Results.Content(json, "application/json", System.Text.Encoding.UTF8, reply.Status)
            : AdminActions.NodeUnreachable(id).ToResult();
    }

    /// <summary>
    /// Server-Sent Events: each server event of the call (audio deltas omitted) as one <c>data:</c> line; a
    /// <c>dropped</c> event when this watcher fell behind and lost some; an <c>end</c> event with the session's
    /// final account when the call is over. Keep-alive comments every 15 s. Another node's session is relayed from it
    /// (<see cref="AdminRelay"/>).
    /// </summary>
    private static async Task WatchEventsAsync(string id, HttpContext context, SessionRegistry registry, FleetAdminRouter router, TimeProvider timeProvider, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "watch events", id, Caller(context));
        if (!registry.TryGet(id, out var session))
        {
            await AdminRelay.WatchAsync(id, context, router, timeProvider).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        var token = context.RequestAborted;
        using var subscription = session!.Events.Subscribe(WatcherCapacity);
        await AdminEventStream.StartAsync(response, id, token).ConfigureAwait(false);

        try
        {
            var reader = subscription.Events;
            while (true)
            {
                var more = reader.WaitToReadAsync(token).AsTask();
                if (await Task.WhenAny(more, Task.Delay(AdminEventStream.KeepAlivePeriod, timeProvider, token)).ConfigureAwait(false) != more)
                {
                    await AdminEventStream.KeepAliveAsync(response, token).ConfigureAwait(false);
                    continue;
                }

                if (!await more.ConfigureAwait(false))
                {
                    break;
                }

                while (reader.TryRead(out var serverEvent))
                {
                    var dropped = subscription.TakeDropped();
                    if (dropped > 0)
                    {
                        await AdminEventStream.DroppedAsync(response, dropped, token).ConfigureAwait(false);
                    }

                    await AdminEventStream.DataAsync(response, serverEvent, token).ConfigureAwait(false);
                }

                await response.Body.FlushAsync(token).ConfigureAwait(false);
            }

            await AdminEventStream.EndAsync(response, JsonSerializer.Serialize(session.Summary(), JsonOptions), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The watcher went away.
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>The body must be one JSON object with a string <c>type</c>, as a browser's frame must.</summary>
    private static async Task<(byte[] Event, IResult? Error)> ReadEventAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes)
                {
                    return ([], JsonErrors.Error(StatusCodes.Status413PayloadTooLarge, "request_too_large", $"The event must be at most {MaxBodyBytes} bytes."));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        var body = buffer.ToArray();
        return ClientEventInspector.Inspect(body).IsValid
            ? (body, null)
            : ([], AdminActions.InvalidEvent().ToResult());
    }

    private static string Caller(HttpContext context) => VoiceEndpoint.ClientAddress(context);

    internal sealed record SessionList(SessionListItem[] Sessions);

    internal sealed record SessionListItem(
        string Id,
        string ClientAddress,
        string? Subject,
        DateTimeOffset StartedAt,
        string State,
        long FramesIn,
        long FramesOut,
        long BytesIn,
        long BytesOut,
        string Channel,
        string? CallSid,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Node = null);

    internal sealed record ActionResult(string Status, string? Id);
}

/// <summary>Category for the audit log of admin actions.</summary>
internal sealed partial class AdminAudit
{
    [LoggerMessage(70, LogLevel.Information, "Admin action {Action} on session {SessionId} by {CallerAddress}")]
    public static partial void Action(ILogger logger, string action, string sessionId, string callerAddress);

    [LoggerMessage(71, LogLevel.Warning, "Refused an admin request from {CallerAddress}: {ErrorCode}")]
    public static partial void Refused(ILogger logger, string errorCode, string callerAddress);
}
