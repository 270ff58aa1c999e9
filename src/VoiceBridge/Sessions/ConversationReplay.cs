using System.Text.Json;
using VoiceBridge.Configuration;

namespace VoiceBridge.Sessions;

/// <summary>
/// How a <see cref="ConversationEntry"/> is replayed into a new upstream connection: the fields of the
/// <c>conversation.item.create</c> items it becomes (the caller writes the item's <c>id</c>). Messages go as text (a
/// user's <c>input_text</c>, an assistant's <c>output_text</c>, beta <c>text</c>); a server tool call as its
/// <c>function_call</c> and, once it has one, its <c>function_call_output</c>, with the same <c>call_id</c>.
/// </summary>
internal static class ConversationReplay
{
    public static IEnumerable<Action<Utf8JsonWriter>> Items(ConversationEntry entry, SessionShape shape)
    {
        switch (entry.Role)
        {
            case ConversationRole.User:
                yield return writer => WriteMessage(writer, "user", "input_text", entry.Text!);
                break;

            case ConversationRole.Assistant:
                yield return writer => WriteMessage(writer, "assistant", shape == SessionShape.GA ? "output_text" : "text", entry.Text!);
                break;

            case ConversationRole.Tool:
                yield return writer =>
                {
                    writer.WriteString("type"u8, "function_call"u8);
                    writer.WriteString("call_id"u8, entry.CallId);
                    writer.WriteString("name"u8, entry.Name);
                    writer.WriteString("arguments"u8, entry.Arguments ?? "{}");
                };
                if (entry.Output is { } output)
                {
                    yield return writer =>
                    {
                        writer.WriteString("type"u8, "function_call_output"u8);
                        writer.WriteString("call_id"u8, entry.CallId);
                        writer.WriteString("output"u8, output);
                    };
                }

                break;
        }
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string contentType, string text)
    {
        writer.WriteString("type"u8, "message"u8);
        writer.WriteString("role"u8, role);
        writer.WriteStartArray("content"u8);
        writer.WriteStartObject();
        writer.WriteString("type"u8, contentType);
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
        writer.WriteEndArray();
    }
}
