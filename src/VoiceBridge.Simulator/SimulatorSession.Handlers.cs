using System.Text.Json;

namespace VoiceBridge.Simulator;

/// <summary>Client events: dispatch, session.update, and the input audio buffer with server VAD (callers hold the gate).</summary>
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

        // µ-law is expanded at the edge: the buffer, its VAD and its echo work on PCM16 24 kHz.
        _input.Append(MuLaw.IsMuLaw(_config.InputFormat) ? MuLaw.ToPcm24k(bytes) : bytes);
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
}
