using System.Text.Json;

namespace VoiceBridge.Security;

/// <summary>
/// <c>response.create</c> may carry its own input items (<c>response.input</c>); a system message among them would
/// rewrite the assistant's orders for that response just as a <c>conversation.item.create</c> would.
/// </summary>
internal static class ResponseGuard
{
    /// <summary>True when <c>response.input</c> holds an item with <c>role: "system"</c>. The frame has been validated.</summary>
    public static bool HasSystemInput(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame);
        if (!JsonDocument.TryParseValue(ref reader, out var document))
        {
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            foreach (var response in document.RootElement.EnumerateObject())
            {
                if (response.NameEquals("response"u8) && response.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var input in response.Value.EnumerateObject())
                    {
                        if (input.NameEquals("input"u8) && input.Value.ValueKind == JsonValueKind.Array && input.Value.EnumerateArray().Any(IsSystemItem))
                        {
                            return true;
                        }
                    }
                }
            }
        }

        return false;
    }

    private static bool IsSystemItem(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object
        && item.EnumerateObject().Any(p => p.NameEquals("role"u8) && p.Value.ValueKind == JsonValueKind.String && p.Value.ValueEquals("system"u8));
}
