using System.Text;
using System.Text.Json;

namespace VoiceBridge.Sessions;

/// <summary>
/// The shapes of Realtime items the <see cref="ConversationRecord"/> reads: a message item's role, id and text (typed or
/// output text, else transcripts), read from a <see cref="JsonDocument"/> parsed straight from the frame's span.
/// </summary>
internal static class ConversationItemReader
{
    /// <summary>A message item as the record keeps it: its id, who spoke, its text (null while unknown).</summary>
    public readonly record struct ReadItem(string? Id, ConversationRole Role, string? Text);

    /// <summary>A user or assistant message item with its text: typed or output text, else transcripts; null for other items.</summary>
    public static ReadItem? ReadMessage(JsonElement item)
    {
        if (ReadString(item, "type"u8) is not (null or "message"))
        {
            return null;
        }

        ConversationRole role;
        switch (ReadString(item, "role"u8))
        {
            case "user":
                role = ConversationRole.User;
                break;
            case "assistant":
                role = ConversationRole.Assistant;
                break;
            default:
                return null;
        }

        StringBuilder? text = null;
        if (item.TryGetProperty("content"u8, out var content) && content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var piece = ReadString(part, "type"u8) switch
                {
                    "input_text" or "output_text" or "text" => ReadString(part, "text"u8),
                    "input_audio" or "output_audio" or "audio" => ReadString(part, "transcript"u8),
                    _ => null,
                };
                if (!string.IsNullOrEmpty(piece))
                {
                    text = text is null ? new StringBuilder(piece) : text.Append(' ').Append(piece);
                }
            }
        }

        return new ReadItem(ReadString(item, "id"u8), role, text?.ToString());
    }

    /// <summary>Straight from the frame's span, no copy of it.</summary>
    public static JsonDocument Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonDocument.ParseValue(ref reader);
    }

    public static string? ReadString(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
