using System.Net.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>How a leg's receive pump or send loop ended (YARP's <c>StreamCopyResult</c>, for WebSockets).</summary>
internal enum LegEnd : byte
{
    /// <summary>The loop stopped because the session asked it to (its close was sent, or the leg was retired).</summary>
    Stopped,

    /// <summary>The peer sent a close frame.</summary>
    PeerClosed,

    /// <summary>The peer went away without a close handshake (reset, abort, missed pong).</summary>
    PeerVanished,

    /// <summary>The peer broke the WebSocket protocol (e.g. invalid UTF-8); the socket already sent its own close.</summary>
    ProtocolError,

    /// <summary>A message grew past the size cap.</summary>
    MessageTooBig,

    /// <summary>An exception the bridge did not expect: a bug, not the peer's doing.</summary>
    Fault,
}

/// <summary>What one loop of a leg observed when it ended; the session turns the first one into an ending.</summary>
internal readonly record struct LegResult(LegEnd End, WebSocketCloseStatus? CloseStatus = null, string? CloseDescription = null, Exception? Fault = null)
{
    public static LegResult Stopped => new(LegEnd.Stopped);

    public static LegResult Vanished => new(LegEnd.PeerVanished);

    public static LegResult TooBig => new(LegEnd.MessageTooBig);

    public static LegResult Closed(WebSocketCloseStatus? status, string? description) => new(LegEnd.PeerClosed, status, description);

    public static LegResult Failed(Exception exception) => new(LegEnd.Fault, Fault: exception);
}
