using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using VoiceBridge.Configuration;

namespace VoiceBridge.Realtime;

/// <summary>
/// Builds the bridge's own first upstream frame, a <c>session.update</c> from
/// <see cref="RealtimeSessionOptions"/>, in the GA or the beta (flat) shape. Runs once at start-up;
/// the caller caches the bytes.
/// </summary>
internal static class SessionUpdateBuilder
{
    /// <summary>Fixed so the upstream's error events can be traced back to this frame.</summary>
    public const string EventId = "event_voicebridge_session";

    private const int SampleRate = 24000;

    // Server-bound JSON, not HTML: keep instructions readable (non-ASCII, quotes stay as text
    // where JSON allows; only what JSON requires is escaped).
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <exception cref="ArgumentException">
    /// <see cref="RealtimeSessionOptions.TurnDetection"/> is not <c>server_vad</c>, <c>semantic_vad</c>
    /// or <c>none</c>, or the voice is empty.
    /// </exception>
    /// <param name="muLaw">G.711 µ-law at 8 kHz both ways (<c>audio/pcmu</c>, beta <c>g711_ulaw</c>): a phone call's audio, passed through untouched.</param>
    public static byte[] Build(RealtimeSessionOptions session, SessionShape shape, bool muLaw = false)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrWhiteSpace(session.Voice, nameof(session));
        var turnDetection = NormalizeTurnDetection(session.TurnDetection);
        var transcriptionModel = string.IsNullOrWhiteSpace(session.TranscriptionModel) ? null : session.TranscriptionModel;

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, RealtimeEventTypes.SessionUpdate);
            writer.WriteString("event_id"u8, EventId);
            writer.WriteStartObject("session"u8);
            switch (shape)
            {
                case SessionShape.GA:
                    WriteGaSession(writer, session, turnDetection, transcriptionModel, muLaw);
                    break;
                case SessionShape.Beta:
                    WriteBetaSession(writer, session, turnDetection, transcriptionModel, muLaw);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(shape), shape, "Unknown session shape.");
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    // {"type":"realtime","output_modalities":["audio"],"instructions":…,
    //  "audio":{"input":{"format":…,"turn_detection":…,"transcription":…},"output":{"format":…,"voice":…}}}
    private static void WriteGaSession(Utf8JsonWriter writer, RealtimeSessionOptions session, string? turnDetection, string? transcriptionModel, bool muLaw)
    {
        writer.WriteString("type"u8, "realtime"u8);
        writer.WriteStartArray("output_modalities"u8);
        writer.WriteStringValue("audio"u8);
        writer.WriteEndArray();
        WriteInstructions(writer, session);

        writer.WriteStartObject("audio"u8);
        writer.WriteStartObject("input"u8);
        WriteFormat(writer, muLaw);
        WriteTurnDetection(writer, turnDetection);
        if (transcriptionModel is not null)
        {
            writer.WriteStartObject("transcription"u8);
            writer.WriteString("model"u8, transcriptionModel);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteStartObject("output"u8);
        WriteFormat(writer, muLaw);
        writer.WriteString("voice"u8, session.Voice);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    // §2.2: {"modalities":["text","audio"],"instructions":…,"voice":…,"input_audio_format":"pcm16",
    //        "output_audio_format":"pcm16","turn_detection":…,"input_audio_transcription":…}
    private static void WriteBetaSession(Utf8JsonWriter writer, RealtimeSessionOptions session, string? turnDetection, string? transcriptionModel, bool muLaw)
    {
        writer.WriteStartArray("modalities"u8);
        writer.WriteStringValue("text"u8);
        writer.WriteStringValue("audio"u8);
        writer.WriteEndArray();
        WriteInstructions(writer, session);
        writer.WriteString("voice"u8, session.Voice);
        writer.WriteString("input_audio_format"u8, muLaw ? "g711_ulaw"u8 : "pcm16"u8);
        writer.WriteString("output_audio_format"u8, muLaw ? "g711_ulaw"u8 : "pcm16"u8);
        WriteTurnDetection(writer, turnDetection);
        if (transcriptionModel is not null)
        {
            writer.WriteStartObject("input_audio_transcription"u8);
            writer.WriteString("model"u8, transcriptionModel);
            writer.WriteEndObject();
        }
    }

    private static void WriteInstructions(Utf8JsonWriter writer, RealtimeSessionOptions session)
    {
        // Absent means "server default"; an empty string deliberately clears them.
        if (session.Instructions is not null)
        {
            writer.WriteString("instructions"u8, session.Instructions);
        }
    }

    private static void WriteFormat(Utf8JsonWriter writer, bool muLaw)
    {
        writer.WriteStartObject("format"u8);
        if (muLaw)
        {
            writer.WriteString("type"u8, "audio/pcmu"u8);
            writer.WriteEndObject();
            return;
        }

        writer.WriteString("type"u8, "audio/pcm"u8);
        writer.WriteNumber("rate"u8, SampleRate);
        writer.WriteEndObject();
    }

    private static void WriteTurnDetection(Utf8JsonWriter writer, string? turnDetection)
    {
        if (turnDetection is null)
        {
            // null turns VAD off: the browser commits and asks for responses itself.
            writer.WriteNull("turn_detection"u8);
            return;
        }

        writer.WriteStartObject("turn_detection"u8);
        writer.WriteString("type"u8, turnDetection);
        writer.WriteEndObject();
    }

    private static string? NormalizeTurnDetection(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "server_vad" => "server_vad",
        "semantic_vad" => "semantic_vad",
        "none" => null,
        _ => throw new ArgumentException(
            $"Session:TurnDetection must be server_vad, semantic_vad or none, not '{value}'.", nameof(value)),
    };
}
