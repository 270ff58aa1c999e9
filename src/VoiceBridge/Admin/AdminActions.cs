using VoiceBridge.Hosting;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;

namespace VoiceBridge.Admin;

/// <summary>
/// What an admin action does to a session on this node, and how its answer reads: the local routes and the fleet's
/// command listener (an action another node routed here) both run these, so an operator gets the same status and
/// body whichever node they asked.
/// </summary>
internal static class AdminActions
{
    public const string Get = "get";
    public const string Upstream = "upstream";
    public const string Client = "client";
    public const string Interrupt = "interrupt";
    public const string End = "end";
    public const string Watch = "watch";

    private const int MaxReasonChars = 200;

    public static async ValueTask<AdminOutcome> ExecuteAsync(BridgeSession session, string action, byte[]? clientEvent, string? reason, CancellationToken cancellationToken)
    {
        switch (action)
        {
            case Get:
                return new(StatusCodes.Status200OK, session.Summary());
            case Upstream or Client:
                // Checked again here: the bytes may come from another node (which checked them too).
                if (clientEvent is null || !ClientEventInspector.Inspect(clientEvent).IsValid)
                {
                    return InvalidEvent();
                }

                var delivery = action == Upstream
                    ? await session.InjectUpstreamAsync(clientEvent, cancellationToken).ConfigureAwait(false)
                    : await session.PushToBrowserAsync(clientEvent, cancellationToken).ConfigureAwait(false);
                return Delivered(session.Id, delivery);
            case Interrupt:
                return Delivered(session.Id, await session.InterruptAsync(cancellationToken).ConfigureAwait(false));
            case End:
                var text = string.IsNullOrWhiteSpace(reason) ? BridgeErrors.DefaultMessage(BridgeErrors.SessionEndedByOperator) : reason.Trim();
                session.EndByOperator(text.Length > MaxReasonChars ? text[..MaxReasonChars] : text);
                return new(StatusCodes.Status202Accepted, new AdminEndpoints.ActionResult("ending", session.Id));
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, "Not an admin action.");
        }
    }

    public static AdminOutcome InvalidEvent() =>
        Error(StatusCodes.Status400BadRequest, BridgeErrors.InvalidEvent, "The body must be a JSON object with a string \"type\".");

    public static AdminOutcome UnknownSession(string id) =>
        Error(StatusCodes.Status404NotFound, "session_not_found", $"No live session '{Truncate(id)}'.");

    /// <summary>The session lives on another node that did not answer (gone, its lease lapsed, or Redis unreachable).</summary>
    public static AdminOutcome NodeUnreachable(string id) =>
        Error(StatusCodes.Status502BadGateway, "node_unreachable", $"Session '{Truncate(id)}' is on another node, which could not be reached. Try again.");

    /// <summary>
    /// A queue that stays full for <see cref="BridgeSession.AdminDeliveryTimeout"/> fails the request (409), never the call:
    /// a browser that is slow to read is not the operator's business to end.
    /// </summary>
    private static AdminOutcome Delivered(string id, AdminDelivery delivery) => delivery switch
    {
        AdminDelivery.Queued => new(StatusCodes.Status202Accepted, new AdminEndpoints.ActionResult("queued", null)),
        AdminDelivery.QueueFull => Error(StatusCodes.Status409Conflict, "queue_full", $"Session '{Truncate(id)}' did not take the event within {BridgeSession.AdminDeliveryTimeout.TotalSeconds:0} s: its queue is full. The call goes on; try again."),
        _ => Error(StatusCodes.Status409Conflict, "session_closed", $"Session '{Truncate(id)}' is closing."),
    };

    private static AdminOutcome Error(int status, string code, string message) => new(status, JsonErrors.Body(code, message));

    private static string Truncate(string id) => id.Length > 40 ? id[..40] : id;
}
