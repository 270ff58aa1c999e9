using System.Buffers;
using System.Text.Json;

namespace VoiceBridge.Sessions;

/// <summary>
/// The bridge's own events beside the Realtime protocol's (CONTRACT.md, "Bridge events"): sent only to a browser that
/// asked for them with <c>?bridge_events=1</c>, so SDK clients stay byte-for-byte transparent. Each is a JSON text
/// frame whose <c>type</c> starts with <c>bridge.</c> and carries an <c>event_id</c>.
/// </summary>
internal static class BridgeEvents
{
    /// <summary>The very first frame of a session: <c>session_id</c> (and the resume token, once continuity has one).</summary>
    public const string SessionCreated = "bridge.session.created";

    /// <summary>First frame on a resumed socket, before the replay of kept events.</summary>
    public const string SessionResumed = "bridge.session.resumed";

    /// <summary>The bridge replaced its upstream connection mid-call.</summary>
    public const string UpstreamReconnected = "bridge.upstream.reconnected";

    /// <summary>A server tool started running (name and call id; never arguments).</summary>
    public const string ToolCallStarted = "bridge.tool_call.started";

    /// <summary>A server tool finished (outcome and duration; never its result).</summary>
    public const string ToolCallCompleted = "bridge.tool_call.completed";

    /// <summary>The query parameter that asks for them.</summary>
    public const string QueryParameter = "bridge_events";

    /// <summary>
    /// Writes one bridge event into a pooled buffer (the caller queues it as a rented frame): <c>type</c>,
    /// <c>event_id</c> (<c>event_bridge_&lt;sequence&gt;</c>, unique within the session), then the fields.
    /// Bridge events are rare (a handful per call), so the writer is not pooled.
    /// </summary>
    public static byte[] Rent<TState>(string type, long sequence, TState state, Action<Utf8JsonWriter, TState> writeFields, out int length)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, type);
            writer.WriteString("event_id"u8, "event_bridge_" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writeFields(writer, state);
            writer.WriteEndObject();
        }

        length = output.WrittenCount;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        output.WrittenSpan.CopyTo(buffer);
        return buffer;
    }

    /// <summary>Reads <c>?bridge_events=</c>: absent or <c>0</c>/<c>false</c> is off, <c>1</c>/<c>true</c> on; anything else is refused.</summary>
    public static bool TryParseQuery(Microsoft.Extensions.Primitives.StringValues values, out bool enabled)
    {
        enabled = false;
        if (values.Count == 0)
        {
            return true;
        }

        if (values.Count > 1)
        {
            return false;
        }

        switch (values[0])
        {
            case "1" or "true":
                enabled = true;
                return true;
            case "0" or "false":
                return true;
            default:
                return false;
        }
    }
}
