using System.Text.Json;

namespace VoiceBridge.Simulator;

/// <summary>Server events, written with <see cref="Utf8JsonWriter"/> into pooled frames (callers hold the gate).</summary>
internal sealed partial class SimulatorSession
{
    private PooledBufferWriter? _frame;

    private bool IsGa => _connection.Dialect == SimulatorDialect.GA;

    private string ItemAddedEvent => IsGa ? "conversation.item.added" : "conversation.item.created";

    private string AudioDeltaEvent => IsGa ? "response.output_audio.delta" : "response.audio.delta";

    private string AudioDoneEvent => IsGa ? "response.output_audio.done" : "response.audio.done";

    private string TranscriptDeltaEvent => IsGa ? "response.output_audio_transcript.delta" : "response.audio_transcript.delta";

    private string TranscriptDoneEvent => IsGa ? "response.output_audio_transcript.done" : "response.audio_transcript.done";

    private string TextDeltaEvent => IsGa ? "response.output_text.delta" : "response.text.delta";

    private string TextDoneEvent => IsGa ? "response.output_text.done" : "response.text.done";

    private string OutputAudioContentType => IsGa ? "output_audio" : "audio";

    private string OutputTextContentType => IsGa ? "output_text" : "text";

    /// <summary>Starts an event with its <c>type</c> and a fresh <c>event_id</c>; finish it with <see cref="EndEventAsync"/>.</summary>
    private Utf8JsonWriter BeginEvent(string type)
    {
        _frame?.Dispose();
        _frame = new PooledBufferWriter();
        _json.Reset(_frame);
        _json.WriteStartObject();
        _json.WriteString("type", type);
        _json.WriteString("event_id", SimulatorIds.NewEventId());
        return _json;
    }

    private async ValueTask EndEventAsync()
    {
        _json.WriteEndObject();
        _json.Flush();
        var frame = _frame!;
        _frame = null;
        try
        {
            await _outbound.Writer.WriteAsync(SimulatorFrame.Message(frame), Token);
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    private ValueTask EmitSessionAsync(string type)
    {
        var w = BeginEvent(type);
        w.WritePropertyName("session");
        _config.WriteTo(w);
        return EndEventAsync();
    }

    private ValueTask EmitErrorAsync(SimulatorClientError error, string? clientEventId)
    {
        _logger.ClientEventRejected(SessionId, error.Code, error.Message);
        var w = BeginEvent("error");
        WriteErrorBody(w, error, clientEventId);
        return EndEventAsync();
    }

    internal static void WriteErrorBody(Utf8JsonWriter w, SimulatorClientError error, string? clientEventId)
    {
        w.WriteStartObject("error");
        w.WriteString("type", error.Type);
        w.WriteString("code", error.Code);
        w.WriteString("message", error.Message);
        w.WriteString("param", error.Param);
        w.WriteString("event_id", clientEventId);
        w.WriteEndObject();
    }

    /// <summary><c>conversation.item.added</c> then <c>conversation.item.done</c> (beta: one <c>conversation.item.created</c>).</summary>
    private async ValueTask EmitItemAddedAsync(ConversationItem item, string? previousItemId, bool done = true)
    {
        var w = BeginEvent(ItemAddedEvent);
        w.WriteString("previous_item_id", previousItemId);
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: false);
        await EndEventAsync();

        if (done && IsGa)
        {
            await EmitItemDoneAsync(item, previousItemId);
        }
    }

    private ValueTask EmitItemDoneAsync(ConversationItem item, string? previousItemId)
    {
        var w = BeginEvent("conversation.item.done");
        w.WriteString("previous_item_id", previousItemId);
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: false);
        return EndEventAsync();
    }

    private void WriteItem(Utf8JsonWriter w, ConversationItem item, bool includeAudio)
    {
        w.WriteStartObject();
        w.WriteString("id", item.Id);
        w.WriteString("type", item.Type);
        if (IsGa)
        {
            w.WriteString("object", "realtime.item");
        }

        w.WriteString("status", item.Status);
        switch (item.Type)
        {
            case "function_call":
                w.WriteString("name", item.Name);
                w.WriteString("call_id", item.CallId);
                w.WriteString("arguments", item.Arguments);
                break;
            case "function_call_output":
                w.WriteString("call_id", item.CallId);
                w.WriteString("output", item.Output);
                break;
            default:
                w.WriteString("role", item.Role);
                w.WriteStartArray("content");
                foreach (var part in item.Content)
                {
                    WriteContentPart(w, part, includeAudio);
                }

                w.WriteEndArray();
                break;
        }

        w.WriteEndObject();
    }

    private static void WriteContentPart(Utf8JsonWriter w, ContentPart part, bool includeAudio)
    {
        if (part.Raw is not null)
        {
            part.Raw.WriteTo(w);
            return;
        }

        w.WriteStartObject();
        w.WriteString("type", part.Type);
        if (part.IsAudio)
        {
            if (includeAudio && part.Audio is { } audio)
            {
                w.WriteBase64String("audio", audio.Span);
            }

            w.WriteString("transcript", part.Transcript);
        }
        else
        {
            w.WriteString("text", part.Text);
        }

        w.WriteEndObject();
    }

    /// <summary>The <c>part</c> of <c>response.content_part.*</c>: typed <c>audio</c>/<c>text</c> on the wire, unlike the item content.</summary>
    private static void WriteResponsePart(Utf8JsonWriter w, SimulatedResponse response, string text)
    {
        w.WriteStartObject("part");
        if (response.TextOnly)
        {
            w.WriteString("type", "text");
            w.WriteString("text", text);
        }
        else
        {
            w.WriteString("type", "audio");
            w.WriteString("transcript", text);
        }

        w.WriteEndObject();
    }

    private static void WriteResponseAddress(Utf8JsonWriter w, SimulatedResponse response, bool withContentIndex = true)
    {
        w.WriteString("response_id", response.Id);
        w.WriteString("item_id", response.Item.Id);
        w.WriteNumber("output_index", 0);
        if (withContentIndex)
        {
            w.WriteNumber("content_index", 0);
        }
    }

    private void WriteResponse(Utf8JsonWriter w, SimulatedResponse response, string status, string? reason, bool final)
    {
        w.WriteStartObject("response");
        w.WriteString("object", "realtime.response");
        w.WriteString("id", response.Id);
        w.WriteString("status", status);
        if (reason is null)
        {
            w.WriteNull("status_details");
        }
        else
        {
            w.WriteStartObject("status_details");
            w.WriteString("type", status);
            w.WriteString("reason", reason);
            w.WriteEndObject();
        }

        w.WriteStartArray("output");
        if (final)
        {
            WriteItem(w, response.Item, includeAudio: false);
        }

        w.WriteEndArray();
        if (IsGa)
        {
            w.WriteString("conversation_id", response.ConversationId);
            w.WriteStartArray("output_modalities");
            w.WriteStringValue(response.TextOnly ? "text" : "audio");
            w.WriteEndArray();
            WriteNode(w, "max_output_tokens", response.MaxOutputTokens);
            w.WriteStartObject("audio");
            w.WriteStartObject("output");
            WriteNode(w, "format", response.OutputFormat);
            WriteNode(w, "voice", response.Voice);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartArray("modalities");
            w.WriteStringValue("text");
            if (!response.TextOnly)
            {
                w.WriteStringValue("audio");
            }

            w.WriteEndArray();
            WriteNode(w, "voice", response.Voice);
            WriteNode(w, "output_audio_format", response.OutputFormat);
            WriteNode(w, "max_output_tokens", response.MaxOutputTokens);
            w.WriteNumber("temperature", 0.8);
        }

        if (final)
        {
            WriteUsage(w, response);
        }
        else
        {
            w.WriteNull("usage");
        }

        WriteNode(w, "metadata", response.Metadata);
        w.WriteEndObject();
    }

    /// <summary>Token counts of the same order as the service's (about 10 input and 20 output audio tokens per second).</summary>
    private static void WriteUsage(Utf8JsonWriter w, SimulatedResponse response)
    {
        var inputAudio = (int)Math.Ceiling(response.InputAudioMs / 100.0);
        var inputText = response.InputTextTokens;
        var outputAudio = response.TextOnly ? 0 : (int)Math.Ceiling(SimulatorAudio.ToMilliseconds(response.AudioBytesSent) / 50.0);
        var outputText = response.DeltasSent;
        w.WriteStartObject("usage");
        w.WriteNumber("total_tokens", inputAudio + inputText + outputAudio + outputText);
        w.WriteNumber("input_tokens", inputAudio + inputText);
        w.WriteNumber("output_tokens", outputAudio + outputText);
        w.WriteStartObject("input_token_details");
        w.WriteNumber("text_tokens", inputText);
        w.WriteNumber("audio_tokens", inputAudio);
        w.WriteNumber("cached_tokens", 0);
        w.WriteEndObject();
        w.WriteStartObject("output_token_details");
        w.WriteNumber("text_tokens", outputText);
        w.WriteNumber("audio_tokens", outputAudio);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private ValueTask EmitRateLimitsAsync(int tokensUsed)
    {
        const int TokenLimit = 40_000;
        var w = BeginEvent("rate_limits.updated");
        w.WriteStartArray("rate_limits");
        w.WriteStartObject();
        w.WriteString("name", "requests");
        w.WriteNumber("limit", 5000);
        w.WriteNumber("remaining", 4999);
        w.WriteNumber("reset_seconds", 0.012);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("name", "tokens");
        w.WriteNumber("limit", TokenLimit);
        w.WriteNumber("remaining", Math.Max(0, TokenLimit - tokensUsed));
        w.WriteNumber("reset_seconds", Math.Round(tokensUsed * 0.0015, 3));
        w.WriteEndObject();
        w.WriteEndArray();
        return EndEventAsync();
    }

    private static void WriteNode(Utf8JsonWriter w, string name, System.Text.Json.Nodes.JsonNode? node)
    {
        w.WritePropertyName(name);
        if (node is null)
        {
            w.WriteNullValue();
        }
        else
        {
            node.WriteTo(w);
        }
    }
}
