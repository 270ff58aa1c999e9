using System.Net.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// Why a session ended, recorded once by whichever side finished first.
/// <see cref="Reason"/> is a stable code: <c>browser_closed</c>, <c>browser_disconnected</c>, <c>upstream_closed</c>,
/// or one of the contract's error codes (<c>upstream_disconnected</c>, <c>slow_consumer</c>…).
/// </summary>
internal sealed record SessionOutcome(SessionSide EndedBy, string Reason, WebSocketCloseStatus? BrowserCloseStatus, bool DeliverQueuedFirst)
{
    public const string BrowserClosed = "browser_closed";
    public const string BrowserDisconnected = "browser_disconnected";

    /// <summary>The browser broke the WebSocket protocol (e.g. invalid UTF-8 in a text frame); its socket sent its own close.</summary>
    public const string BrowserProtocolError = "browser_protocol_error";
    public const string UpstreamClosed = "upstream_closed";
    public const string InternalError = "internal_error";

    /// <summary>A detached session's browser did not come back within the resume window.</summary>
    public const string ResumeExpired = "resume_expired";

    /// <summary>A detached session's kept events outgrew the resume buffer.</summary>
    public const string ResumeOverflow = "resume_overflow";
}
