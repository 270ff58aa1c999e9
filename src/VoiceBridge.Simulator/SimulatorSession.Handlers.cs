using System.Text.Json;
using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>Client events: dispatch, the input audio buffer with server VAD, and conversation items (callers hold the gate).</summary>
internal sealed partial class SimulatorSession
{
    /// <summary>Audio kept on items for echo and retrieve; older items lose their bytes first (about 11 minutes of PCM16).</summary>
    private const long MaxRetainedAudioBytes = 32L * 1024 * 1024;

    private const string SupportedTypes =
        "'session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', 'input_audio_buffer.clear', "
        + "'conversation.item.create', 'conversation.item.truncate', 'conversation.item.delete', 'conversation.item.retrieve', "
        + "'response.create', 'response.cancel', and 'output_audio_buffer.clear'";

    private readonly InputAudioBuffer _input = new();
    private readonly VoiceActivityDetector _vad = new();
    private readonly List<ConversationItem> _items = [];
    private readonly string _conversationId = SimulatorIds.NewConversationId();

    /// <summary>Absolute input position up to which VAD has looked, in whole 20 ms windows.</summary>
    private long _vadPosition;

    /// <summary>The id announced by <c>speech_started</c> for the user item the turn will commit.</summary>
    private string? _pendingUserItemId;

    private async ValueTask DispatchAsync(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            await EmitErrorAsync(SimulatorClientError.InvalidType("event", "a JSON object with a string 'type'"), clientEventId: null);
            return;
        }

        var eventId = root.TryGetProperty("event_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        if (!root.TryGetProperty("type", out var typeElement) || typeElement.ValueKind != JsonValueKind.String)
        {
            await EmitErrorAsync(SimulatorClientError.MissingParameter("type"), eventId);
            return;
        }

        var type = typeElement.GetString()!;
        var error = type switch
        {
            "session.update" => await HandleSessionUpdateAsync(root),
            "input_audio_buffer.append" => await HandleAppendAsync(root),
            "input_audio_buffer.commit" => await HandleCommitAsync(),
            "input_audio_buffer.clear" => await HandleClearAsync(),
            "conversation.item.create" => await HandleItemCreateAsync(root),
            "conversation.item.retrieve" => await HandleItemRetrieveAsync(root),
            "conversation.item.truncate" => await HandleItemTruncateAsync(root),
            "conversation.item.delete" => await HandleItemDeleteAsync(root),
            "response.create" => await HandleResponseCreateAsync(root),
            "response.cancel" => await HandleResponseCancelAsync(root),
            "output_audio_buffer.clear" => new SimulatorClientError(
                "invalid_value",
                "output_audio_buffer.clear is only supported for WebRTC and SIP connections; on a WebSocket send response.cancel.",
                "type"),
            _ => SimulatorClientError.InvalidValue("type", $"Invalid value: '{type}'. Supported values are: {SupportedTypes}."),
        };

        if (error is not null)
        {
            await EmitErrorAsync(error, eventId);
        }
    }

    private async ValueTask<SimulatorClientError?> HandleSessionUpdateAsync(JsonElement root)
    {
        if (!root.TryGetProperty("session", out var session))
        {
            return SimulatorClientError.MissingParameter("session");
        }

        var error = _config.Apply(session);
        if (error is not null)
        {
            return error;
        }

        if (_config.TurnDetection is null)
        {
            ResetVad();
        }

        await EmitSessionAsync("session.updated");
        return null;
    }

    private async ValueTask<SimulatorClientError?> HandleAppendAsync(JsonElement root)
    {
        if (!root.TryGetProperty("audio", out var audio))
        {
            return SimulatorClientError.MissingParameter("audio");
        }

        if (audio.ValueKind != JsonValueKind.String || !audio.TryGetBytesFromBase64(out var bytes))
        {
            return SimulatorClientError.InvalidValue("audio", "Invalid value: 'audio'. Expected a base64-encoded string of audio bytes.");
        }

        _input.Append(bytes);
        if (_config.TurnDetection is { } vad)
        {
            await RunVadAsync(vad);
        }

        return null;
    }

    private async ValueTask RunVadAsync(VadSettings vad)
    {
        var prefixBytes = (long)vad.PrefixPaddingMs * SimulatorAudio.BytesPerMs;
        while (_input.End - _vadPosition >= VoiceActivityDetector.WindowBytes)
        {
            var windowStart = _vadPosition;
            var transition = _vad.Process(_input.Slice(windowStart, VoiceActivityDetector.WindowBytes), vad);
            _vadPosition += VoiceActivityDetector.WindowBytes;
            if (transition == VadTransition.SpeechStarted)
            {
                await OnSpeechStartedAsync(windowStart, prefixBytes, vad);
            }
            else if (transition == VadTransition.SpeechStopped)
            {
                await OnSpeechStoppedAsync(_vadPosition, vad);
            }
        }

        if (!_vad.InSpeech)
        {
            // Between turns only the prefix padding (and the unexamined tail) is worth keeping.
            _input.DiscardBefore(_vadPosition - prefixBytes);
        }
    }

    private async ValueTask OnSpeechStartedAsync(long windowStart, long prefixBytes, VadSettings vad)
    {
        var audioStart = Math.Max(_input.Start, windowStart - prefixBytes);
        _input.DiscardBefore(audioStart);
        _pendingUserItemId = SimulatorIds.NewItemId();

        var w = BeginEvent("input_audio_buffer.speech_started");
        w.WriteNumber("audio_start_ms", audioStart / SimulatorAudio.BytesPerMs);
        w.WriteString("item_id", _pendingUserItemId);
        await EndEventAsync();

        if (_activeResponse is { } response && vad.InterruptResponse)
        {
            await FinishResponseAsync(response, "cancelled", "turn_detected");
        }
    }

    private async ValueTask OnSpeechStoppedAsync(long end, VadSettings vad)
    {
        var itemId = _pendingUserItemId ?? SimulatorIds.NewItemId();
        _pendingUserItemId = null;

        var w = BeginEvent("input_audio_buffer.speech_stopped");
        w.WriteNumber("audio_end_ms", end / SimulatorAudio.BytesPerMs);
        w.WriteString("item_id", itemId);
        await EndEventAsync();

        await CommitUserAudioAsync(itemId, _input.TakeUntil(end));
        if (vad.CreateResponse && _activeResponse is null)
        {
            await StartResponseAsync(parameters: null);
        }
    }

    private async ValueTask<SimulatorClientError?> HandleCommitAsync()
    {
        if (_input.Length < SimulatorAudio.MinimumCommitBytes)
        {
            var ms = SimulatorAudio.ToMilliseconds(_input.Length);
            return new SimulatorClientError(
                "input_audio_buffer_commit_empty",
                $"Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has {ms:F2}ms of audio.");
        }

        var itemId = _pendingUserItemId ?? SimulatorIds.NewItemId();
        var audio = _input.TakeAll();
        ResetVad();
        await CommitUserAudioAsync(itemId, audio);
        return null;
    }

    private async ValueTask<SimulatorClientError?> HandleClearAsync()
    {
        _input.Clear();
        ResetVad();
        BeginEvent("input_audio_buffer.cleared");
        await EndEventAsync();
        return null;
    }

    private void ResetVad()
    {
        _vad.Reset();
        _vadPosition = _input.End;
        _pendingUserItemId = null;
    }

    private async ValueTask CommitUserAudioAsync(string itemId, byte[] audio)
    {
        var previous = _items.Count > 0 ? _items[^1].Id : null;
        var item = new ConversationItem(itemId, "message") { Role = "user" };
        var part = new ContentPart("input_audio") { Audio = audio };
        item.Content.Add(part);
        _items.Add(item);
        TrimRetainedAudio();

        var w = BeginEvent("input_audio_buffer.committed");
        w.WriteString("previous_item_id", previous);
        w.WriteString("item_id", itemId);
        await EndEventAsync();
        await EmitItemAddedAsync(item, previous);

        if (_config.TranscriptionEnabled)
        {
            var seconds = SimulatorAudio.ToMilliseconds(audio.Length) / 1000;
            part.Transcript = $"(simulated transcript of {seconds:F2} s of audio)";
            w = BeginEvent("conversation.item.input_audio_transcription.completed");
            w.WriteString("item_id", itemId);
            w.WriteNumber("content_index", 0);
            w.WriteString("transcript", part.Transcript);
            if (IsGa)
            {
                w.WriteStartObject("usage");
                w.WriteString("type", "duration");
                w.WriteNumber("seconds", Math.Round(seconds, 3));
                w.WriteEndObject();
            }

            await EndEventAsync();
        }
    }

    private void TrimRetainedAudio()
    {
        var parts = _items.SelectMany(i => i.Content).Where(p => p.Audio is not null).ToList();
        var total = parts.Sum(p => (long)p.Audio!.Value.Length);
        foreach (var part in parts)
        {
            if (total <= MaxRetainedAudioBytes)
            {
                break;
            }

            total -= part.Audio!.Value.Length;
            part.Audio = null;
        }
    }

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
