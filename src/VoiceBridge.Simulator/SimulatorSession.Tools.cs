namespace VoiceBridge.Simulator;

/// <summary>
/// Function calling, as the service does it (realtime-protocol.md §8): with function tools in the session, a user text
/// item <c>/tool &lt;name&gt; &lt;json arguments&gt;</c> makes the next response a call of that tool with those arguments.
/// The answer after the <c>function_call_output</c> quotes it (<see cref="ChooseReply"/>).
/// </summary>
internal sealed partial class SimulatorSession
{
    private const string ToolCommand = "/tool ";

    /// <summary>User items whose <c>/tool</c> request was answered: each asks for one call.</summary>
    private readonly HashSet<string> _toolRequestsAnswered = new(StringComparer.Ordinal);

    /// <summary>Emits a whole function-call response (§8 step 2) when the last item asks for one; false otherwise.</summary>
    private async ValueTask<bool> TryCallToolAsync()
    {
        if (_items.Count == 0 || _items[^1] is not { Type: "message", Role: "user" } request || _toolRequestsAnswered.Contains(request.Id)
            || request.Content.Find(p => p.Type == "input_text")?.Text is not { } text || !text.StartsWith(ToolCommand, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = text[ToolCommand.Length..].Trim();
        var space = rest.IndexOf(' ', StringComparison.Ordinal);
        var name = space < 0 ? rest : rest[..space];
        var arguments = space < 0 ? "{}" : rest[(space + 1)..].Trim();
        if (!_config.HasFunctionTool(name))
        {
            return false;
        }

        _toolRequestsAnswered.Add(request.Id);
        var item = new ConversationItem(SimulatorIds.NewItemId(), "function_call")
        {
            Status = "in_progress",
            Name = name,
            CallId = SimulatorIds.NewCallId(),
            Arguments = string.Empty,
        };
        var previous = _items[^1].Id;
        var response = new SimulatedResponse(SimulatorIds.NewResponseId(), item, ReadOnlyMemory<byte>.Empty, [])
        {
            TextOnly = _config.TextOnly,
            ConversationId = _conversationId,
            Voice = _config.Voice?.DeepClone(),
            OutputFormat = _config.OutputFormat?.DeepClone(),
            MaxOutputTokens = _config.MaxOutputTokens?.DeepClone(),
            InputTextTokens = (_config.Instructions.Length + text.Length + 3) / 4,
            PreviousItemId = previous,
        };

        var w = BeginEvent("response.created");
        WriteResponse(w, response, "in_progress", reason: null, final: false);
        await EndEventAsync();

        w = BeginEvent("response.output_item.added");
        w.WriteString("response_id", response.Id);
        w.WriteNumber("output_index", 0);
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: false);
        await EndEventAsync();

        _items.Add(item);
        await EmitItemAddedAsync(item, previous, done: false);

        // The arguments stream in two pieces, as the service's deltas do.
        var half = arguments.Length / 2;
        foreach (var delta in (string[])[arguments[..half], arguments[half..]])
        {
            w = BeginEvent("response.function_call_arguments.delta");
            WriteCallAddress(w, response);
            w.WriteString("delta", delta);
            await EndEventAsync();
        }

        item.Arguments = arguments;
        item.Status = "completed";
        w = BeginEvent("response.function_call_arguments.done");
        WriteCallAddress(w, response);
        w.WriteString("name", name);
        w.WriteString("arguments", arguments);
        await EndEventAsync();

        w = BeginEvent("response.output_item.done");
        w.WriteString("response_id", response.Id);
        w.WriteNumber("output_index", 0);
        w.WritePropertyName("item");
        WriteItem(w, item, includeAudio: false);
        await EndEventAsync();

        if (IsGa)
        {
            await EmitItemDoneAsync(item, previous);
        }

        response.IsFinished = true;
        w = BeginEvent("response.done");
        WriteResponse(w, response, "completed", reason: null, final: true);
        await EndEventAsync();
        await EmitRateLimitsAsync(TotalTokens(response) + 1);
        return true;
    }

    private static void WriteCallAddress(System.Text.Json.Utf8JsonWriter w, SimulatedResponse response)
    {
        w.WriteString("response_id", response.Id);
        w.WriteString("item_id", response.Item.Id);
        w.WriteNumber("output_index", 0);
        w.WriteString("call_id", response.Item.CallId);
    }
}
