using System.Net.WebSockets;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>What ended a session first: a leg's result, or a decision of the bridge.</summary>
internal enum EndTrigger : byte
{
    BrowserClosed,
    BrowserVanished,
    BrowserProtocolError,
    BrowserMessageTooBig,
    UpstreamClosed,
    UpstreamVanished,
    UpstreamMessageTooBig,

    /// <summary>The upstream could not be dialled; <see cref="SessionEndCause.ErrorCode"/> says how it failed.</summary>
    UpstreamConnectFailed,
    SlowConsumer,
    IdleTimeout,
    SessionExpired,
    EndedByOperator,
    ServerShuttingDown,

    /// <summary>A fault inside the bridge (a bug), never blamed on the upstream.</summary>
    InternalError,

    /// <summary>A detached session's browser did not resume within <c>Continuity:ResumeWindow</c>.</summary>
    ResumeExpired,

    /// <summary>A detached session kept more than <c>Continuity:ResumeBufferBytes</c> for its browser.</summary>
    ResumeOverflow,
}

/// <summary>The first cause of a session's end, with the peer's close or the error code it carries.</summary>
internal readonly record struct SessionEndCause(
    EndTrigger Trigger,
    WebSocketCloseStatus? PeerStatus = null,
    string? PeerDescription = null,
    string? ErrorCode = null,
    string? Message = null)
{
    /// <summary>The cause for a leg's result: which leg, and how its loop ended.</summary>
    public static SessionEndCause From(SessionSide leg, LegResult result) => (leg, result.End) switch
    {
        (SessionSide.Browser, LegEnd.PeerClosed) => new(EndTrigger.BrowserClosed, result.CloseStatus, result.CloseDescription),
        (SessionSide.Browser, LegEnd.PeerVanished) => new(EndTrigger.BrowserVanished),
        (SessionSide.Browser, LegEnd.ProtocolError) => new(EndTrigger.BrowserProtocolError),
        (SessionSide.Browser, LegEnd.MessageTooBig) => new(EndTrigger.BrowserMessageTooBig),
        (SessionSide.Upstream, LegEnd.PeerClosed) => new(EndTrigger.UpstreamClosed, result.CloseStatus, result.CloseDescription),
        (SessionSide.Upstream, LegEnd.PeerVanished or LegEnd.ProtocolError) => new(EndTrigger.UpstreamVanished),
        (SessionSide.Upstream, LegEnd.MessageTooBig) => new(EndTrigger.UpstreamMessageTooBig),
        _ => new(EndTrigger.InternalError),
    };
}

/// <summary>How one socket is ended: a close frame (optionally after one last error event), an abort, or nothing more.</summary>
internal enum LegCloseKind : byte
{
    Close,

    /// <summary>The peer is gone: abort the socket.</summary>
    Abort,

    /// <summary>The WebSocket layer already sent its own close (a protocol error): send nothing, abort nothing.</summary>
    AlreadySent,
}

/// <summary>One socket's close: how, with what status and reason, and whether it overtakes queued frames.</summary>
internal readonly record struct LegClose(LegCloseKind Kind, WebSocketCloseStatus Status = WebSocketCloseStatus.NormalClosure, string? Description = null, bool Now = true)
{
    public static LegClose Abort => new(LegCloseKind.Abort);

    public static LegClose AlreadySent => new(LegCloseKind.AlreadySent);

    public static LegClose Normal(string? description, bool now = true) => new(LegCloseKind.Close, WebSocketCloseStatus.NormalClosure, description, now);
}

/// <summary>How long the browser's close handshake may take before its socket is aborted.</summary>
internal enum CloseGrace : byte
{
    /// <summary><c>CloseTimeout</c>.</summary>
    Close,

    /// <summary><c>SlowClientTimeout</c> + <c>CloseTimeout</c>: queued frames (the final audio) are delivered first.</summary>
    DrainThenClose,

    /// <summary>
    /// <c>KeepAliveTimeout</c>: a browser that stalled may start reading again; it should learn why it was closed rather
    /// than see 1006. The keep-alive already gives up on a browser silent that long.
    /// </summary>
    KeepAlive,
}

/// <summary>
/// The whole decision of how a session ends, from its first cause: what the browser and the upstream are sent,
/// whether queued frames go first, the error event and the metrics reason.
/// </summary>
/// <param name="BrowserCloseStatus">The code the browser is closed with, as the account and the log report it.</param>
internal sealed record SessionEndPlan(
    SessionSide EndedBy,
    string Reason,
    string? ErrorCode,
    string? ErrorMessage,
    LegClose Browser,
    LegClose Upstream,
    CloseGrace BrowserGrace,
    WebSocketCloseStatus? BrowserCloseStatus)
{
    /// <summary>Frames already queued for the browser are delivered before its close (the final audio reaches it).</summary>
    public bool DeliverQueuedFirst => !Browser.Now;

    public SessionOutcome ToOutcome() => new(EndedBy, Reason, BrowserCloseStatus, DeliverQueuedFirst);
}

/// <summary>
/// The ending table: one pure function from the first cause to a <see cref="SessionEndPlan"/>. Every row is pinned
/// by a test; CONTRACT.md's error and close-code tables are this function seen from the browser.
/// </summary>
internal static class SessionEnding
{
    public const string ClientClosed = "client closed";
    public const string ClientDisconnected = "client disconnected";
    public const string ClientDidNotResume = "client did not resume";

    public static SessionEndPlan Decide(SessionEndCause cause)
    {
        switch (cause.Trigger)
        {
            case EndTrigger.BrowserClosed:
            {
                // Echo the browser's close; what it sent before closing still reaches the upstream, then 1000.
                var (status, description) = CloseStatusMap.EchoToBrowser(cause.PeerStatus, cause.PeerDescription);
                return new(SessionSide.Browser, SessionOutcome.BrowserClosed, null, null,
                    new LegClose(LegCloseKind.Close, status, description), LegClose.Normal(ClientClosed, now: false), CloseGrace.Close, cause.PeerStatus);
            }

            case EndTrigger.BrowserVanished:
                return new(SessionSide.Browser, SessionOutcome.BrowserDisconnected, null, null,
                    LegClose.Abort, LegClose.Normal(ClientDisconnected), CloseGrace.Close, null);

            case EndTrigger.BrowserProtocolError:
                return new(SessionSide.Browser, SessionOutcome.BrowserProtocolError, null, null,
                    LegClose.AlreadySent, LegClose.Normal(ClientDisconnected), CloseGrace.Close, null);

            case EndTrigger.UpstreamClosed:
            {
                // The browser hears the upstream's close (mapped to what may be sent), after the audio already queued.
                var (status, description) = CloseStatusMap.ForBrowser(cause.PeerStatus, cause.PeerDescription);
                return new(SessionSide.Upstream, SessionOutcome.UpstreamClosed, null, null,
                    new LegClose(LegCloseKind.Close, status, description, Now: false), LegClose.Normal(null), CloseGrace.DrainThenClose, status);
            }

            case EndTrigger.UpstreamVanished:
            {
                const string Code = BridgeErrors.UpstreamDisconnected;
                var status = BridgeErrors.CloseStatusFor(Code);
                return new(SessionSide.Upstream, Code, Code, null,
                    new LegClose(LegCloseKind.Close, status, Code, Now: false), LegClose.Abort, CloseGrace.DrainThenClose, status);
            }

            case EndTrigger.UpstreamMessageTooBig:
                return WithError(SessionSide.Upstream, BridgeErrors.UpstreamDisconnected, null);

            case EndTrigger.UpstreamConnectFailed:
                return WithError(SessionSide.Upstream, cause.ErrorCode ?? BridgeErrors.UpstreamUnavailable, null);

            case EndTrigger.BrowserMessageTooBig:
                return WithError(SessionSide.Bridge, BridgeErrors.MessageTooBig, null);

            case EndTrigger.SlowConsumer:
                // The upstream is closed at once (no more spend); the browser gets time to read its close.
                return WithError(SessionSide.Bridge, BridgeErrors.SlowConsumer, null) with { BrowserGrace = CloseGrace.KeepAlive };

            case EndTrigger.IdleTimeout:
                return WithError(SessionSide.Bridge, BridgeErrors.IdleTimeout, null);

            case EndTrigger.SessionExpired:
                return WithError(SessionSide.Bridge, BridgeErrors.SessionExpired, null);

            case EndTrigger.EndedByOperator:
                return WithError(SessionSide.Bridge, BridgeErrors.SessionEndedByOperator, cause.Message);

            case EndTrigger.ServerShuttingDown:
                return WithError(SessionSide.Bridge, BridgeErrors.ServerShuttingDown, null);

            case EndTrigger.ResumeExpired:
                // No browser socket is left to tell; the upstream is released at once.
                return new(SessionSide.Browser, SessionOutcome.ResumeExpired, null, null,
                    LegClose.Abort, LegClose.Normal(ClientDidNotResume), CloseGrace.Close, null);

            case EndTrigger.ResumeOverflow:
                return new(SessionSide.Browser, SessionOutcome.ResumeOverflow, null, null,
                    LegClose.Abort, LegClose.Normal(ClientDidNotResume), CloseGrace.Close, null);

            default:
                return WithError(SessionSide.Bridge, BridgeErrors.InternalError, null);
        }
    }

    /// <summary>The bridge ends the session with one of the contract's errors: the browser hears it at once, the upstream gets 1000.</summary>
    private static SessionEndPlan WithError(SessionSide endedBy, string code, string? message)
    {
        var status = BridgeErrors.CloseStatusFor(code);
        return new(endedBy, code, code, message, new LegClose(LegCloseKind.Close, status, code), LegClose.Normal(null), CloseGrace.Close, status);
    }
}
