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

    private const int MaxReasonChars = 200;
    private const int MaxBodyBytes = 1024 * 1024;
    private static readonly TimeSpan KeepAlivePeriod = TimeSpan.FromSeconds(15);

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

    private static IResult GetSession(string id, HttpContext context, SessionRegistry registry, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "get", id, Caller(context));
        return registry.TryGet(id, out var session) ? Results.Json(session!.Summary()) : UnknownSession(id);
    }

    private static async Task<IResult> InjectUpstreamAsync(string id, HttpContext context, SessionRegistry registry, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "inject upstream", id, Caller(context));
        if (!registry.TryGet(id, out var session))
        {
            return UnknownSession(id);
        }

        var body = await ReadEventAsync(context).ConfigureAwait(false);
        if (body.Error is { } error)
        {
            return error;
        }

        return Delivered(id, await session!.InjectUpstreamAsync(body.Event, context.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> PushToClientAsync(string id, HttpContext context, SessionRegistry registry, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "push to client", id, Caller(context));
        if (!registry.TryGet(id, out var session))
        {
            return UnknownSession(id);
        }

        var body = await ReadEventAsync(context).ConfigureAwait(false);
        if (body.Error is { } error)
        {
            return error;
        }

        return Delivered(id, await session!.PushToBrowserAsync(body.Event, context.RequestAborted).ConfigureAwait(false));
    }

    private static async Task<IResult> InterruptAsync(string id, HttpContext context, SessionRegistry registry, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "interrupt", id, Caller(context));
        if (!registry.TryGet(id, out var session))
        {
            return UnknownSession(id);
        }

        return Delivered(id, await session!.InterruptAsync(context.RequestAborted).ConfigureAwait(false));
    }

    private static IResult EndSession(string id, string? reason, HttpContext context, SessionRegistry registry, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "end", id, Caller(context));
        if (!registry.TryGet(id, out var session))
        {
            return UnknownSession(id);
        }

        var text = string.IsNullOrWhiteSpace(reason) ? BridgeErrors.DefaultMessage(BridgeErrors.SessionEndedByOperator) : reason.Trim();
        session!.EndByOperator(text.Length > MaxReasonChars ? text[..MaxReasonChars] : text);
        return Results.Json(new ActionResult("ending", id), statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Server-Sent Events: each server event of the call (audio deltas omitted) as one <c>data:</c> line; a
    /// <c>dropped</c> event when this watcher fell behind and lost some; an <c>end</c> event with the session's
    /// final account when the call is over. Keep-alive comments every 15 s.
    /// </summary>
    private static async Task WatchEventsAsync(string id, HttpContext context, SessionRegistry registry, TimeProvider timeProvider, ILogger<AdminAudit> logger)
    {
        AdminAudit.Action(logger, "watch events", id, Caller(context));
        if (!registry.TryGet(id, out var session))
        {
            await UnknownSession(id).ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var token = context.RequestAborted;
        using var subscription = session!.Events.Subscribe(WatcherCapacity);
        await response.WriteAsync($": watching {id}\n\n", token).ConfigureAwait(false);
        await response.Body.FlushAsync(token).ConfigureAwait(false);

        try
        {
            var reader = subscription.Events;
            while (true)
            {
                var more = reader.WaitToReadAsync(token).AsTask();
                if (await Task.WhenAny(more, Task.Delay(KeepAlivePeriod, timeProvider, token)).ConfigureAwait(false) != more)
                {
                    await response.WriteAsync(": keep-alive\n\n", token).ConfigureAwait(false);
                    await response.Body.FlushAsync(token).ConfigureAwait(false);
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
                        await response.WriteAsync($"event: dropped\ndata: {{\"dropped\":{dropped}}}\n\n", token).ConfigureAwait(false);
                    }

                    await WriteDataAsync(response, serverEvent, token).ConfigureAwait(false);
                }

                await response.Body.FlushAsync(token).ConfigureAwait(false);
            }

            await response.WriteAsync("event: end\ndata: ", token).ConfigureAwait(false);
            await response.WriteAsync(JsonSerializer.Serialize(session.Summary(), JsonOptions), token).ConfigureAwait(false);
            await response.WriteAsync("\n\n", token).ConfigureAwait(false);
            await response.Body.FlushAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The watcher went away.
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>One event as SSE <c>data:</c> lines (a line break inside the JSON starts another data line, per the SSE format).</summary>
    private static async Task WriteDataAsync(HttpResponse response, byte[] serverEvent, CancellationToken token)
    {
        var start = 0;
        while (true)
        {
            var newline = Array.IndexOf(serverEvent, (byte)'\n', start);
            var end = newline < 0 ? serverEvent.Length : newline;
            await response.Body.WriteAsync("data: "u8.ToArray(), token).ConfigureAwait(false);
            await response.Body.WriteAsync(serverEvent.AsMemory(start, end - start).TrimEnd((byte)'\r'), token).ConfigureAwait(false);
            await response.Body.WriteAsync("\n"u8.ToArray(), token).ConfigureAwait(false);
            if (newline < 0)
            {
                break;
            }

            start = newline + 1;
        }

        await response.Body.WriteAsync("\n"u8.ToArray(), token).ConfigureAwait(false);
    }

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
            : ([], JsonErrors.Error(StatusCodes.Status400BadRequest, BridgeErrors.InvalidEvent, "The body must be a JSON object with a string \"type\"."));
    }

    /// <summary>
    /// A queue that stays full for <see cref="BridgeSession.AdminDeliveryTimeout"/> fails the request (409), never the call:
    /// a browser that is slow to read is not the operator's business to end.
    /// </summary>
    private static IResult Delivered(string id, AdminDelivery delivery) => delivery switch
    {
        AdminDelivery.Queued => Queued(),
        AdminDelivery.QueueFull => JsonErrors.Error(StatusCodes.Status409Conflict, "queue_full", $"Session '{Truncate(id)}' did not take the event within {BridgeSession.AdminDeliveryTimeout.TotalSeconds:0} s: its queue is full. The call goes on; try again."),
        _ => SessionEnded(id),
    };

    private static IResult Queued() => Results.Json(new ActionResult("queued", null), statusCode: StatusCodes.Status202Accepted);

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<JsonErrors.ErrorBody> UnknownSession(string id) =>
        JsonErrors.Error(StatusCodes.Status404NotFound, "session_not_found", $"No live session '{Truncate(id)}'.");

    private static Microsoft.AspNetCore.Http.HttpResults.JsonHttpResult<JsonErrors.ErrorBody> SessionEnded(string id) =>
        JsonErrors.Error(StatusCodes.Status409Conflict, "session_closed", $"Session '{Truncate(id)}' is closing.");

    private static string Truncate(string id) => id.Length > 40 ? id[..40] : id;

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
