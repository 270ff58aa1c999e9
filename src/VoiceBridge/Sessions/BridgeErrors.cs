using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Realtime;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// The <c>error</c> events the bridge itself sends to a browser (CONTRACT.md, "Errors the bridge
/// itself sends"): codes, their error kind, their close code and a plain default message.
/// </summary>
internal static class BridgeErrors
{
    /// <summary>Text frame not a JSON object with a string <c>type</c>; the session stays open.</summary>
    public const string InvalidEvent = "invalid_event";

    /// <summary>Empty or odd-length binary audio frame; the session stays open.</summary>
    public const string InvalidAudioFrame = "invalid_audio_frame";

    /// <summary>Frame over <c>MaxMessageBytes</c>; close 1009.</summary>
    public const string MessageTooBig = "message_too_big";

    /// <summary>Upstream refused the key (401/403); close 1011.</summary>
    public const string UpstreamAuthFailed = "upstream_auth_failed";

    /// <summary>Upstream kept answering 429; close 1013.</summary>
    public const string UpstreamRateLimited = "upstream_rate_limited";

    /// <summary>Upstream unreachable, 5xx or timing out after the retries; close 1013.</summary>
    public const string UpstreamUnavailable = "upstream_unavailable";

    /// <summary>Upstream dropped without a close frame; close 1011.</summary>
    public const string UpstreamDisconnected = "upstream_disconnected";

    /// <summary>Browser too slow to drain its queue; close 1008.</summary>
    public const string SlowConsumer = "slow_consumer";

    /// <summary>Server shutting down; close 1001.</summary>
    public const string ServerShuttingDown = "server_shutting_down";

    /// <summary>A browser session.update touched fields the server owns; they were removed. Stays open.</summary>
    public const string SessionFieldLocked = "session_field_locked";

    /// <summary>A browser tried to add a system message. Stays open.</summary>
    public const string SystemItemLocked = "system_item_locked";

    /// <summary>A browser function_call_output for no pending client-tool call, or a browser-made function_call. Stays open.</summary>
    public const string ToolOutputRefused = "tool_output_refused";

    /// <summary>An event type outside <c>Session:AllowedClientEvents</c>. Stays open.</summary>
    public const string UnknownEvent = "unknown_event";

    /// <summary>Audio beyond <c>Limits:MaxAudioRate</c> / <c>Limits:AudioBurst</c> was not forwarded. Stays open.</summary>
    public const string AudioRateExceeded = "audio_rate_exceeded";

    /// <summary>The session reached <c>Limits:MaxSessionDuration</c>; close 1000.</summary>
    public const string SessionExpired = "session_expired";

    /// <summary>No frame from the browser for <c>Limits:IdleTimeout</c>; close 1000.</summary>
    public const string IdleTimeout = "idle_timeout";

    /// <summary>An operator ended the call through the admin API (the message is the operator's reason); close 1000.</summary>
    public const string SessionEndedByOperator = "session_ended_by_operator";

    /// <summary>A fault inside the bridge itself (a bug, not the upstream's doing); close 1011.</summary>
    public const string InternalError = "internal_error";

    private const string InvalidRequestKind = "invalid_request_error";
    private const string ServerErrorKind = "server_error";
    private const int EventIdRandomLength = 21;

    private static ReadOnlySpan<byte> EventIdAlphabet => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"u8;

    // Error events are rare but a misbehaving browser can trigger one per frame: reuse the writer
    // per thread. Rent is synchronous, so a thread-static cannot be shared by two callers at once.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    /// <summary>
    /// Writes <c>{"type":"error","event_id":"event_…","error":{"type":"&lt;kind&gt;","code":"&lt;code&gt;","message":"&lt;text&gt;"}}</c>
    /// into a freshly rented <see cref="ArrayPool{T}.Shared"/> array; the caller sends
    /// <c>[0..length)</c> and returns the array to the shared pool exactly once.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="code"/> is not one of this class's codes.</exception>
    public static byte[] Rent(string code, string message, out int length)
    {
        var kind = KindFor(code);
        ArgumentNullException.ThrowIfNull(message);

        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = _threadWriter;
        if (writer is null)
        {
            // The default encoder: these events go to browsers, so HTML-sensitive characters stay escaped.
            writer = new Utf8JsonWriter(buffer);
            _threadWriter = writer;
        }
        else
        {
            writer.Reset(buffer);
        }

        Span<byte> eventId = stackalloc byte[6 + EventIdRandomLength];
        "event_"u8.CopyTo(eventId);
        Random.Shared.GetItems(EventIdAlphabet, eventId[6..]);

        writer.WriteStartObject();
        writer.WriteString("type"u8, RealtimeEventTypes.Error);
        writer.WriteString("event_id"u8, eventId);
        writer.WriteStartObject("error"u8);
        writer.WriteString("type"u8, kind);
        writer.WriteString("code"u8, code);
        writer.WriteString("message"u8, message);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();

        var written = buffer.WrittenSpan;
        var array = ArrayPool<byte>.Shared.Rent(written.Length);
        written.CopyTo(array);
        length = written.Length;

        // Do not keep an unusually long message's buffer alive on this thread.
        if (buffer.Capacity > 4096)
        {
            _threadBuffer = null;
            _threadWriter = null;
        }

        return array;
    }

    /// <summary>True for the codes after which the bridge closes the browser socket.</summary>
    public static bool IsTerminal(string code) => CloseStatusOrNull(code) is not null;

    /// <summary>The contract's close code for a terminal error code.</summary>
    /// <exception cref="ArgumentException"><paramref name="code"/> is unknown or keeps the session open.</exception>
    public static WebSocketCloseStatus CloseStatusFor(string code) =>
        CloseStatusOrNull(code)
        ?? throw new ArgumentException($"'{code}' is not a terminal bridge error code.", nameof(code));

    /// <summary>A short, plain-words message for each code; never contains configuration or secrets.</summary>
    /// <exception cref="ArgumentException"><paramref name="code"/> is unknown.</exception>
    public static string DefaultMessage(string code) => code switch
    {
        InvalidEvent => "Text frames must be a JSON object with a string \"type\". The frame was not forwarded.",
        InvalidAudioFrame => "Binary frames must hold PCM16 audio: a non-empty, even number of bytes. The frame was not forwarded.",
        MessageTooBig => "The message is larger than this server accepts.",
        UpstreamAuthFailed => "The realtime service rejected the server's credentials.",
        UpstreamRateLimited => "The realtime service is rate-limiting this server. Try again later.",
        UpstreamUnavailable => "The realtime service could not be reached. Try again later.",
        UpstreamDisconnected => "The connection to the realtime service was lost.",
        SlowConsumer => "The client did not read its messages fast enough.",
        ServerShuttingDown => "The server is shutting down.",
        SessionFieldLocked => "Some session fields are set by the server and were removed from the update.",
        SystemItemLocked => "System messages can only be added by the server. The event was not forwarded.",
        UnknownEvent => "This event type is not accepted by this server. The event was not forwarded.",
        ToolOutputRefused => "Only an output for a pending call of a client tool may be sent. The event was not forwarded.",
        AudioRateExceeded => "Audio is arriving faster than real time allows. Some audio was not forwarded.",
        SessionExpired => "The session reached its maximum duration.",
        IdleTimeout => "The session was closed after a period with no messages from the client.",
        SessionEndedByOperator => "The call was ended by an operator.",
        InternalError => "The server hit an internal error and ended the session.",
        _ => throw new ArgumentException($"'{code}' is not a bridge error code.", nameof(code)),
    };

    private static string KindFor(string code) => code switch
    {
        InvalidEvent or InvalidAudioFrame or MessageTooBig or SlowConsumer or SessionFieldLocked or SystemItemLocked
            or UnknownEvent or ToolOutputRefused or AudioRateExceeded or SessionExpired or IdleTimeout => InvalidRequestKind,
        UpstreamAuthFailed or UpstreamRateLimited or UpstreamUnavailable or UpstreamDisconnected or ServerShuttingDown
            or SessionEndedByOperator or InternalError => ServerErrorKind,
        _ => throw new ArgumentException($"'{code}' is not a bridge error code.", nameof(code)),
    };

    private static WebSocketCloseStatus? CloseStatusOrNull(string code) => code switch
    {
        MessageTooBig => WebSocketCloseStatus.MessageTooBig,
        UpstreamAuthFailed => WebSocketCloseStatus.InternalServerError,
        UpstreamRateLimited => CloseStatusMap.TryAgainLater,
        UpstreamUnavailable => CloseStatusMap.TryAgainLater,
        UpstreamDisconnected => WebSocketCloseStatus.InternalServerError,
        SlowConsumer => WebSocketCloseStatus.PolicyViolation,
        ServerShuttingDown => WebSocketCloseStatus.EndpointUnavailable,
        SessionExpired => WebSocketCloseStatus.NormalClosure,
        IdleTimeout => WebSocketCloseStatus.NormalClosure,
        SessionEndedByOperator => WebSocketCloseStatus.NormalClosure,
        InternalError => WebSocketCloseStatus.InternalServerError,
        _ => null,
    };
}
