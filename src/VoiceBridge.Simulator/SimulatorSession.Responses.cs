using System.Text.Json;
using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>Responses: the §7 event sequence, paced deltas that echo the caller, cancel and barge-in.</summary>
internal sealed partial class SimulatorSession
{
    private SimulatedResponse? _activeResponse;

    private async ValueTask<SimulatorClientError?> HandleResponseCreateAsync(JsonElement root)
    {
        if (_activeResponse is { } active)
        {
            return new SimulatorClientError(
                "conversation_already_has_active_response",
                $"Conversation already has an active response in progress: {active.Id}. Wait until the response is finished before creating a new one.");
        }

        JsonElement? parameters = root.TryGetProperty("response", out var r) && r.ValueKind == JsonValueKind.Object ? r : null;
        await StartResponseAsync(parameters);
        return null;
    }

    private async ValueTask<SimulatorClientError?> HandleResponseCancelAsync(JsonElement root)
    {
        var responseId = ReadString(root, "response_id");
        if (_activeResponse is not { } active || (responseId is not null && responseId != active.Id))
        {
            return new SimulatorClientError("response_cancel_not_active", "Cancellation failed: no active response found");
        }

        await FinishResponseAsync(active, "cancelled", "client_cancelled");
        return null;
    }

    /// <summary>Emits §7 steps 6–9 now and leaves the deltas and the ending to a tracked streaming task.</summary>
    private async ValueTask StartResponseAsync(JsonElement? parameters)
    {
        // "/tool <name> <json>" typed by the user: this response is a call of that tool (SimulatorSession.Tools.cs).
        if (await TryCallToolAsync())
        {
            return;
        }

        var textOnly = _config.TextOnly;
        var voice = _config.Voice;
        JsonNode? metadata = null;
        var inConversation = true;
        if (parameters is { } p)
        {
            if (p.TryGetProperty(IsGa ? "output_modalities" : "modalities", out var modalities) && modalities.ValueKind == JsonValueKind.Array)
            {
                textOnly = !modalities.EnumerateArray().Any(m => m.ValueKind == JsonValueKind.String && m.GetString() == "audio");
            }

            var voiceOverride = IsGa
                ? (p.TryGetProperty("audio", out var audio) && audio.ValueKind == JsonValueKind.Object
                   && audio.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Object
                   && output.TryGetProperty("voice", out var v) ? v : default)
                : (p.TryGetProperty("voice", out var bv) ? bv : default);
            if (voiceOverride.ValueKind is JsonValueKind.String or JsonValueKind.Object)
            {
                voice = JsonNode.Parse(voiceOverride.GetRawText());
            }

            if (p.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object)
            {
                metadata = JsonNode.Parse(m.GetRawText());
            }

            inConversation = ReadString(p, "conversation") != "none";
        }

        var (audioToSay, transcript, inputAudioMs, inputText) = ChooseReply();
        var item = new ConversationItem(SimulatorIds.NewItemId(), "message") { Role = "assistant", Status = "in_progress" };
        var previous = inConversation && _items.Count > 0 ? _items[^1].Id : null;
        var response = new SimulatedResponse(SimulatorIds.NewResponseId(), item, audioToSay, SplitIntoDeltas(transcript))
        {
            TextOnly = textOnly,
            InConversation = inConversation,
            ConversationId = inConversation ? _conversationId : null,
            Voice = voice?.DeepClone(),
            OutputFormat = _config.OutputFormat?.DeepClone(),
            MaxOutputTokens = _config.MaxOutputTokens?.DeepClone(),
            Metadata = metadata,
            InputAudioMs = inputAudioMs,
            InputTextTokens = (_config.Instructions.Length + inputText.Length + 3) / 4,
            PreviousItemId = previous,
        };
        _activeResponse = response;

        var w = BeginEvent("response.created");
        WriteResponse(w, response, "in_progress", reason: null, final: false);
        await EndEventAsync();

        w = BeginEvent("response.output_item.added");
        w.WriteString("response_id", response.Id);
        w.WriteNumber("output_index", 0);
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: false);
        await EndEventAsync();

        if (inConversation)
        {
            _items.Add(item);
            await EmitItemAddedAsync(item, previous, done: false);
        }

        item.Content.Add(textOnly
            ? new ContentPart(OutputTextContentType) { Text = string.Empty }
            : new ContentPart(OutputAudioContentType) { Transcript = string.Empty, Audio = ReadOnlyMemory<byte>.Empty });
        w = BeginEvent("response.content_part.added");
        WriteResponseAddress(w, response);
        WriteResponsePart(w, response, string.Empty);
        await EndEventAsync();

        Track(StreamResponseAsync(response));
    }

    /// <summary>
    /// What to say: the caller's last committed audio, echoed; for a text message (or nothing at all) a quiet tone.
    /// </summary>
    private (ReadOnlyMemory<byte> Audio, string Transcript, int InputAudioMs, string InputText) ChooseReply()
    {
        if (_items.Count > 0 && _items[^1] is { Type: "function_call_output" } toolOutput)
        {
            // The answer after a tool call quotes what the tool returned.
            return (SimulatorAudio.Tone, $"The tool answered: {toolOutput.Output}", 0, toolOutput.Output ?? string.Empty);
        }

        var lastUser = _items.FindLast(i => i.Type == "message" && i.Role == "user");
        if (lastUser?.AudioPart?.Audio is { Length: > 0 } audio)
        {
            var ms = (int)SimulatorAudio.ToMilliseconds(audio.Length);
            return (audio, $"You said something for {ms / 1000.0:F2} seconds.", ms, string.Empty);
        }

        var text = lastUser?.Content.Find(p => p.Type == "input_text")?.Text;
        return text is null
            ? (SimulatorAudio.Tone, "Hello! This is the VoiceBridge realtime simulator.", 0, string.Empty)
            : (SimulatorAudio.Tone, $"You said: {text}", 0, text);
    }

    /// <summary>Word-sized pieces whose concatenation is exactly the transcript.</summary>
    private static string[] SplitIntoDeltas(string transcript)
    {
        var words = transcript.Split(' ');
        return [.. words.Select((word, i) => i < words.Length - 1 ? word + " " : word)];
    }

    /// <summary>§7 step 10: one transcript delta and one audio delta per step, paced by <see cref="SimulatorOptions.DeltaInterval"/>.</summary>
    private async Task StreamResponseAsync(SimulatedResponse response)
    {
        try
        {
            var first = true;
            while (true)
            {
                if (!first && _options.DeltaInterval > TimeSpan.Zero)
                {
                    await Task.Delay(_options.DeltaInterval, _time, Token);
                }

                first = false;
                await _gate.WaitAsync(Token);
                try
                {
                    if (response.IsFinished || _closing)
                    {
                        return;
                    }

                    await EmitNextDeltasAsync(response);
                    if (response.AllSent)
                    {
                        await FinishResponseAsync(response, "completed", reason: null);
                        return;
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            // The session is ending; a response cut off by a vanished socket needs no ending.
        }
    }

    private async ValueTask EmitNextDeltasAsync(SimulatedResponse response)
    {
        if (response.DeltasSent < response.TranscriptDeltas.Length)
        {
            var w = BeginEvent(response.TextOnly ? TextDeltaEvent : TranscriptDeltaEvent);
            WriteResponseAddress(w, response);
            w.WriteString("delta", response.TranscriptDeltas[response.DeltasSent]);
            await EndEventAsync();
            response.DeltasSent++;
        }

        if (!response.TextOnly && response.AudioBytesSent < response.Audio.Length)
        {
            // µ-law output takes whole 8 kHz samples (6 PCM bytes each) and compresses them at the edge.
            var muLaw = MuLaw.IsMuLaw(response.OutputFormat);
            var step = muLaw ? MuLaw.PcmBytesPerByte : 2;
            var chunkLength = Math.Min(Math.Max(step, _options.DeltaBytes / step * step), response.Audio.Length - response.AudioBytesSent);
            var w = BeginEvent(AudioDeltaEvent);
            WriteResponseAddress(w, response);
            var chunk = response.Audio.Span.Slice(response.AudioBytesSent, chunkLength);
            w.WriteBase64String("delta", muLaw ? MuLaw.FromPcm24k(chunk) : chunk);
            await EndEventAsync();
            response.AudioBytesSent += chunkLength;
            response.Item.Content[0].Audio = response.Audio[..response.AudioBytesSent];
        }
    }

    /// <summary>§7 steps 11–17 for a completed or cancelled response; whoever ends it calls this once, under the gate.</summary>
    private async ValueTask FinishResponseAsync(SimulatedResponse response, string status, string? reason)
    {
        response.IsFinished = true;
        if (_activeResponse == response)
        {
            _activeResponse = null;
        }

        var text = response.SentTranscript;
        var item = response.Item;
        var part = item.Content[0];
        item.Status = status == "completed" ? "completed" : "incomplete";

        Utf8JsonWriter w;
        if (response.TextOnly)
        {
            part.Text = text;
            w = BeginEvent(TextDoneEvent);
            WriteResponseAddress(w, response);
            w.WriteString("text", text);
            await EndEventAsync();
        }
        else
        {
            part.Transcript = text;
            w = BeginEvent(AudioDoneEvent);
            WriteResponseAddress(w, response);
            await EndEventAsync();

            w = BeginEvent(TranscriptDoneEvent);
            WriteResponseAddress(w, response);
            w.WriteString("transcript", text);
            await EndEventAsync();
        }

        w = BeginEvent("response.content_part.done");
        WriteResponseAddress(w, response);
        WriteResponsePart(w, response, text);
        await EndEventAsync();

        w = BeginEvent("response.output_item.done");
        w.WriteString("response_id", response.Id);
        w.WriteNumber("output_index", 0);
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: false);
        await EndEventAsync();

        if (response.InConversation && IsGa)
        {
            await EmitItemDoneAsync(item, response.PreviousItemId);
        }

        w = BeginEvent("response.done");
        WriteResponse(w, response, status, reason, final: true);
        await EndEventAsync();

        await EmitRateLimitsAsync(TotalTokens(response));
    }

    private static int TotalTokens(SimulatedResponse response) =>
        (int)Math.Ceiling(response.InputAudioMs / 100.0)
        + response.InputTextTokens
        + (response.TextOnly ? 0 : (int)Math.Ceiling(SimulatorAudio.ToMilliseconds(response.AudioBytesSent) / 50.0))
        + response.DeltasSent;
}
