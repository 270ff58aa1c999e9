using System.Buffers;
using System.Text;
using System.Text.Json;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tools;

/// <summary>The calls: each runs through its webhook off the pump, then its output goes to the model, then (once) a response.</summary>
internal sealed partial class SessionTools
{
    private void OnResponseDone()
    {
        bool create;
        lock (_lock)
        {
            _responseActive = false;
            create = TakeResponseTurn();
        }

        if (create)
        {
            Track(SendResponseCreateAsync(), "response.create");
        }
    }

    /// <summary>Under the lock: every call has its output, some output awaits the model's answer, no response runs.</summary>
    private bool TakeResponseTurn()
    {
        if (_runningCalls > 0 || _outputsAwaitingResponse == 0 || _responseActive || _stopped)
        {
            return false;
        }

        _outputsAwaitingResponse = 0;
        return true;
    }

    private void Track(Task task, string name)
    {
        var tracked = ObserveAsync(task, name);
        lock (_lock)
        {
            _tasks ??= [];
            _tasks.Add(tracked);
            if (_tasks.Count > 64)
            {
                _tasks.RemoveAll(t => t.IsCompleted);
            }
        }
    }

    private async Task ObserveAsync(Task task, string name)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (Volatile.Read(ref _stopped))
        {
            // The session ended.
        }
        catch (Exception e)
        {
            ToolsLog.TaskFailed(_services.Logger, name, e);
        }
    }

    private async Task RunCallAsync(ToolCall call, string arguments)
    {
        // Off the upstream pump's thread: the pump must not wait for any of this.
        await Task.Yield();
        var token = StoppingToken();
        var time = _services.Time;
        var started = time.GetTimestamp();
        _catalog.TryGet(call.Name, out var tool);
        _session.Conversation.AddToolCall(call.CallId, call.Name, arguments, time.GetUtcNow());
        await EmitAsync(BridgeEvents.ToolCallStarted, call, outcome: null, durationMs: 0).ConfigureAwait(false);

        string outcome;
        string output;
        if (!IsJsonObject(arguments))
        {
            (outcome, output) = ("error", """{"error":"invalid_arguments"}""");
        }
        else
        {
            WebhookResponse response;
            try
            {
                await Slots.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Finish(call, "cancelled", time.GetElapsedTime(started));
                return;
            }

            try
            {
                response = await _services.Webhooks.PostAsync("tool", tool.Name, tool.Url!, $"msg_{_session.Id}_{call.CallId}", CallBody(call, arguments), token).ConfigureAwait(false);
            }
            finally
            {
                _slots!.Release();
            }

            (outcome, output) = response.Outcome switch
            {
                WebhookOutcome.Ok => ("ok", response.Body!),
                WebhookOutcome.Timeout => ("timeout", """{"error":"tool_timeout"}"""),
                WebhookOutcome.Cancelled => ("cancelled", string.Empty),
                _ => ("error", """{"error":"tool_failed"}"""),
            };
        }

        var duration = time.GetElapsedTime(started);
        Finish(call, outcome, duration, outcome == "cancelled" ? null : output);
        if (outcome == "cancelled" || token.IsCancellationRequested)
        {
            return;
        }

        await EmitAsync(BridgeEvents.ToolCallCompleted, call, outcome, Math.Round(duration.TotalMilliseconds)).ConfigureAwait(false);
        await DeliverOutputAsync(call, output, token).ConfigureAwait(false);
    }

    /// <summary>The call's one log line, metric and account entry.</summary>
    private void Finish(ToolCall call, string outcome, TimeSpan duration, string? output = null)
    {
        _session.Conversation.AddToolOutput(call.CallId, output ?? string.Empty, outcome, _services.Time.GetUtcNow());
        _services.Metrics.ToolCall(call.Name, outcome, duration);
        ToolsLog.CallEnded(_services.Logger, call.Name, call.CallId, outcome, duration.TotalMilliseconds);
        lock (_lock)
        {
            _records ??= [];
            _records.Add(new ToolCallRecord(call.Name, call.CallId, outcome, Math.Round(duration.TotalMilliseconds, 1)));
            if (_records.Count > MaxRecords)
            {
                _records.RemoveAt(0);
            }
        }
    }

    /// <summary>The output as a <c>function_call_output</c> item, then (when it was the last one awaited) one <c>response.create</c>.</summary>
    private async Task DeliverOutputAsync(ToolCall call, string output, CancellationToken token)
    {
        await SendGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var delivery = await _session.InjectUpstreamAsync(OutputEvent(call, output), token).ConfigureAwait(false);
            if (delivery != AdminDelivery.Queued)
            {
                ToolsLog.OutputNotDelivered(_services.Logger, call.Name, call.CallId, delivery.ToString());
            }

            bool create;
            lock (_lock)
            {
                _runningCalls--;
                _outputsAwaitingResponse++;
                create = TakeResponseTurn();
            }

            if (create)
            {
                await InjectAsync(ResponseCreateEvent(), token).ConfigureAwait(false);
            }
        }
        finally
        {
            _sendGate!.Release();
        }
    }

    private async Task SendResponseCreateAsync()
    {
        var token = StoppingToken();
        await SendGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await InjectAsync(ResponseCreateEvent(), token).ConfigureAwait(false);
        }
        finally
        {
            _sendGate!.Release();
        }
    }

    private async Task InjectAsync(byte[] clientEvent, CancellationToken token)
    {
        var delivery = await _session.InjectUpstreamAsync(clientEvent, token).ConfigureAwait(false);
        if (delivery != AdminDelivery.Queued && !token.IsCancellationRequested)
        {
            ToolsLog.OutputNotDelivered(_services.Logger, "response.create", "-", delivery.ToString());
        }
    }

    /// <summary><c>bridge.tool_call.*</c> to a browser that asked for bridge events, and to the admin API's watchers.</summary>
    private async Task EmitAsync(string type, ToolCall call, string? outcome, double durationMs)
    {
        var state = (call, outcome, durationMs);
        static void Write(Utf8JsonWriter writer, (ToolCall Call, string? Outcome, double DurationMs) s)
        {
            writer.WriteString("call_id"u8, s.Call.CallId);
            writer.WriteString("name"u8, s.Call.Name);
            if (s.Outcome is not null)
            {
                writer.WriteString("outcome"u8, s.Outcome);
                writer.WriteNumber("duration_ms"u8, s.DurationMs);
            }
        }

        if (_session.Events.HasSubscribers)
        {
            var buffer = BridgeEvents.Rent(type, Interlocked.Increment(ref _eventSequence), state, Write, out var length);
            _session.Events.Publish(buffer.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(buffer);
        }

        await _session.EmitBridgeEventAsync(type, state, Write).ConfigureAwait(false);
    }

    private string CallBody(ToolCall call, string arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + arguments.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool.call"u8);
            writer.WriteString("session_id"u8, _session.Id);
            if (_session.Subject is { } subject)
            {
                writer.WriteString("subject"u8, subject);
            }
            else
            {
                writer.WriteNull("subject"u8);
            }

            writer.WriteString("call_id"u8, call.CallId);
            writer.WriteString("name"u8, call.Name);
            writer.WritePropertyName("arguments"u8);
            writer.WriteRawValue(arguments);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private byte[] OutputEvent(ToolCall call, string output)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + output.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "conversation.item.create"u8);
            writer.WriteString("event_id"u8, $"{EventIdPrefix}_output_{Interlocked.Increment(ref _eventSequence)}");
            writer.WriteStartObject("item"u8);
            writer.WriteString("type"u8, "function_call_output"u8);
            writer.WriteString("call_id"u8, call.CallId);
            writer.WriteString("output"u8, output);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private byte[] ResponseCreateEvent() =>
        Encoding.UTF8.GetBytes($$"""{"type":"response.create","event_id":"{{EventIdPrefix}}_response_{{Interlocked.Increment(ref _eventSequence)}}"}""");

    private static bool IsJsonObject(string arguments)
    {
        try
        {
            using var document = JsonDocument.Parse(arguments);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
