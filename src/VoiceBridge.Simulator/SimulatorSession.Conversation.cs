using System.Text.Json;
using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>Client events on conversation items: create, retrieve, delete, truncate (callers hold the gate).</summary>
internal sealed partial class SimulatorSession
{
    private async ValueTask<SimulatorClientError?> HandleItemCreateAsync(JsonElement root)
    {
        if (!root.TryGetProperty("item", out var itemElement) || itemElement.ValueKind != JsonValueKind.Object)
        {
            return SimulatorClientError.MissingParameter("item");
        }

        var (item, error) = ParseItem(itemElement);
        if (error is not null)
        {
            return error;
        }

        var index = _items.Count;
        if (root.TryGetProperty("previous_item_id", out var previousElement) && previousElement.ValueKind == JsonValueKind.String)
        {
            var previousId = previousElement.GetString();
            if (previousId == "root")
            {
                index = 0;
            }
            else
            {
                var previousIndex = _items.FindIndex(i => i.Id == previousId);
                if (previousIndex < 0)
                {
                    return SimulatorClientError.InvalidValue(
                        "previous_item_id",
                        $"Error adding item: the previous item with id '{previousId}' does not exist.");
                }

                index = previousIndex + 1;
            }
        }

        var previous = index > 0 ? _items[index - 1].Id : null;
        _items.Insert(index, item!);
        _journal?.Received(item!);
        TrimRetainedAudio();
        await EmitItemAddedAsync(item!, previous);
        return null;
    }

    private (ConversationItem? Item, SimulatorClientError? Error) ParseItem(JsonElement element)
    {
        var type = ReadString(element, "type") ?? "message";
        var id = ReadString(element, "id") ?? SimulatorIds.NewItemId();
        if (_items.Exists(i => i.Id == id))
        {
            return (null, SimulatorClientError.InvalidValue("item.id", $"Error adding item: an item with id '{id}' already exists."));
        }

        switch (type)
        {
            case "function_call":
                return (new ConversationItem(id, type)
                {
                    Name = ReadString(element, "name"),
                    CallId = ReadString(element, "call_id"),
                    Arguments = ReadString(element, "arguments") ?? string.Empty,
                }, null);
            case "function_call_output":
                var callId = ReadString(element, "call_id");
                if (callId is null)
                {
                    return (null, SimulatorClientError.MissingParameter("item.call_id"));
                }

                return (new ConversationItem(id, type) { CallId = callId, Output = ReadString(element, "output") ?? string.Empty }, null);
            case "message":
                return ParseMessage(element, id);
            default:
                return (null, SimulatorClientError.InvalidValue(
                    "item.type",
                    $"Invalid value: '{type}'. Supported values are: 'message', 'function_call', and 'function_call_output'."));
        }
    }

    private static (ConversationItem? Item, SimulatorClientError? Error) ParseMessage(JsonElement element, string id)
    {
        var role = ReadString(element, "role");
        if (role is not ("user" or "system" or "assistant"))
        {
            return (null, role is null
                ? SimulatorClientError.MissingParameter("item.role")
                : SimulatorClientError.InvalidValue("item.role", $"Invalid value: '{role}'. Supported values are: 'user', 'system', and 'assistant'."));
        }

        if (!element.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return (null, SimulatorClientError.MissingParameter("item.content"));
        }

        var item = new ConversationItem(id, "message") { Role = role };
        var index = 0;
        foreach (var partElement in content.EnumerateArray())
        {
            var path = $"item.content[{index++}]";
            var partType = partElement.ValueKind == JsonValueKind.Object ? ReadString(partElement, "type") : null;
            var allowed = role switch
            {
                "user" => partType is "input_text" or "input_audio" or "input_image",
                "system" => partType is "input_text",
                _ => partType is "output_text" or "text",
            };
            if (!allowed)
            {
                return (null, SimulatorClientError.InvalidValue(
                    $"{path}.type",
                    $"Invalid value: '{partType}'. This content type is not supported for a '{role}' message."));
            }

            switch (partType)
            {
                case "input_audio":
                    byte[]? audio = null;
                    if (partElement.TryGetProperty("audio", out var audioElement)
                        && (audioElement.ValueKind != JsonValueKind.String || !audioElement.TryGetBytesFromBase64(out audio)))
                    {
                        return (null, SimulatorClientError.InvalidValue($"{path}.audio", $"Invalid value: '{path}.audio'. Expected a base64-encoded string of audio bytes."));
                    }

                    item.Content.Add(new ContentPart("input_audio") { Audio = audio, Transcript = ReadString(partElement, "transcript") });
                    break;
                case "input_image":
                    item.Content.Add(new ContentPart("input_image") { Raw = JsonNode.Parse(partElement.GetRawText()) });
                    break;
                default:
                    item.Content.Add(new ContentPart(partType!) { Text = ReadString(partElement, "text") ?? string.Empty });
                    break;
            }
        }

        return (item, null);
    }

    private async ValueTask<SimulatorClientError?> HandleItemRetrieveAsync(JsonElement root)
    {
        var (item, error) = FindItem(root, "retrieving");
        if (item is null)
        {
            return error;
        }

        var w = BeginEvent("conversation.item.retrieved");
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: true);
        await EndEventAsync();
        return null;
    }

    private async ValueTask<SimulatorClientError?> HandleItemDeleteAsync(JsonElement root)
    {
        var (item, error) = FindItem(root, "deleting");
        if (item is null)
        {
            return error;
        }

        _items.Remove(item);
        var w = BeginEvent("conversation.item.deleted");
        w.WriteString("item_id", item.Id);
        await EndEventAsync();
        return null;
    }

    private async ValueTask<SimulatorClientError?> HandleItemTruncateAsync(JsonElement root)
    {
        var (item, error) = FindItem(root, "truncating");
        if (item is null)
        {
            return error;
        }

        if (item.Role != "assistant")
        {
            return SimulatorClientError.InvalidValue("item_id", $"Error truncating item: only assistant messages can be truncated, and '{item.Id}' is not one.");
        }

        var contentIndex = 0;
        if (root.TryGetProperty("content_index", out var ci) && (ci.ValueKind != JsonValueKind.Number || !ci.TryGetInt32(out contentIndex)))
        {
            return SimulatorClientError.InvalidValue("content_index", "Invalid value: 'content_index'. Expected an integer.");
        }

        if (contentIndex < 0 || contentIndex >= item.Content.Count || !item.Content[contentIndex].IsAudio)
        {
            return SimulatorClientError.InvalidValue("content_index", $"Error truncating item: content index {contentIndex} does not hold audio.");
        }

        if (!root.TryGetProperty("audio_end_ms", out var endElement))
        {
            return SimulatorClientError.MissingParameter("audio_end_ms");
        }

        if (endElement.ValueKind != JsonValueKind.Number || !endElement.TryGetInt32(out var audioEndMs) || audioEndMs < 0)
        {
            return SimulatorClientError.InvalidValue("audio_end_ms", "Invalid value: 'audio_end_ms'. Expected a non-negative integer.");
        }

        var part = item.Content[contentIndex];
        var audioBytes = part.Audio?.Length ?? 0;
        var audioMs = audioBytes / SimulatorAudio.BytesPerMs;
        if (audioEndMs > audioMs)
        {
            return SimulatorClientError.InvalidValue("audio_end_ms", $"Audio content of {audioMs}ms is already shorter than {audioEndMs}ms");
        }

        // The unheard part of the transcript goes with the audio (cut in proportion; the real model re-aligns words).
        var keep = audioEndMs * SimulatorAudio.BytesPerMs;
        if (part.Transcript is { Length: > 0 } transcript && audioBytes > 0)
        {
            part.Transcript = transcript[..(int)((long)transcript.Length * keep / audioBytes)].TrimEnd();
        }

        part.Audio = part.Audio?[..keep];

        var w = BeginEvent("conversation.item.truncated");
        w.WriteString("item_id", item.Id);
        w.WriteNumber("content_index", contentIndex);
        w.WriteNumber("audio_end_ms", audioEndMs);
        await EndEventAsync();
        return null;
    }

    private (ConversationItem? Item, SimulatorClientError? Error) FindItem(JsonElement root, string action)
    {
        var itemId = ReadString(root, "item_id");
        if (itemId is null)
        {
            return (null, SimulatorClientError.MissingParameter("item_id"));
        }

        var item = _items.Find(i => i.Id == itemId);
        return item is null
            ? (null, SimulatorClientError.InvalidValue("item_id", $"Error {action} item: the item with id '{itemId}' does not exist."))
            : (item, null);
    }

    private static string? ReadString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
