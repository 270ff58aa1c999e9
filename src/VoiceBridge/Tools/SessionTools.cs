using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tools;

/// <summary>
/// One session's tools: hides the server's tools from the browser (<see cref="PassUpstream"/>, called by the upstream
/// pump for every text frame), runs their calls through the webhooks with at most
/// <c>Webhooks:MaxConcurrentCallsPerSession</c> at once, hands each output to the model and asks for one response
/// once all are in and none is running; and polices the browser's tool items (<see cref="CheckBrowserEvent"/>).
/// Owns every task it starts: <see cref="Stop"/> cancels them, <see cref="DisposeAsync"/> awaits them.
/// </summary>
internal sealed partial class SessionTools : IAsyncDisposable
{
    /// <summary>Prefix of the <c>event_id</c> of every event the bridge sends for its tools: errors about them are not the browser's.</summary>
    public const string EventIdPrefix = "event_voicebridge_tool";

    private const int MaxRecords = 100;

    private readonly BridgeSession _session;
    private readonly ToolServices _services;
    private readonly ToolCatalog _catalog;
    private readonly Lock _lock = new();

    // Created on first use (under _lock, or by LazyInitializer for the two gates): most sessions never see a tool
    // call, and an idle one should not hold a token source, two semaphores and five empty collections for nothing.
    private CancellationTokenSource? _stopping;
    private SemaphoreSlim? _slots;
    private SemaphoreSlim? _sendGate;
    private Dictionary<string, ToolCall>? _calls;
    private HashSet<string>? _hiddenItems;
    private List<Task>? _tasks;
    private List<ToolCallRecord>? _records;
    private long _eventSequence;
    private int _runningCalls;
    private int _outputsAwaitingResponse;
    private bool _responseActive;
    private bool _stopped;

    public SessionTools(BridgeSession session, ToolServices services)
    {
        _session = session;
        _services = services;
        _catalog = services.Catalog;
    }

    /// <summary>Finished server tool calls, oldest first (the last 100), for the admin API's account.</summary>
    public IReadOnlyList<ToolCallRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return _records is null ? [] : [.. _records];
            }
        }
    }

    /// <summary>
    /// The upstream hook: false when the frame concerns a server tool and must not reach the browser (it has been
    /// released); true to forward <paramref name="message"/>, which may have been replaced by a rewritten copy
    /// (<c>session.created</c>/<c>updated</c> without the server's tools, <c>response.done</c> without their items).
    /// Frames of any other type are not parsed past their <c>type</c> and stay byte-for-byte (no allocation).
    /// </summary>
    public bool PassUpstream(ref InboundMessage message)
    {
        if (!IsToolEvent(message.Span, _catalog.HasServerTools))
        {
            return true;
        }

        byte[]? rewritten;
        try
        {
            if (!Inspect(message.Span, out rewritten))
            {
                message.Release();
                return false;
            }
        }
        catch (JsonException)
        {
            // Not ours to judge: the browser gets what the service sent.
            return true;
        }

        if (rewritten is not null)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(rewritten.Length);
            rewritten.CopyTo(buffer, 0);
            message.Release();
            message = InboundMessage.Data(System.Net.WebSockets.WebSocketMessageType.Text, buffer, rewritten.Length);
        }

        return true;
    }

    /// <summary>
    /// The browser hook, for <c>conversation.item.create</c> and <c>response.create</c>: <c>tool_output_refused</c> for a
    /// browser-made <c>function_call</c> item, or a <c>function_call_output</c> for anything but a pending client-tool
    /// call without an output yet; null to go on with the event's other checks.
    /// </summary>
    public string? CheckBrowserEvent(ReadOnlySpan<byte> frame, bool isResponseCreate)
    {
        // Cheap pre-check: an event that names neither item type needs no parse.
        if (frame.IndexOf("function_call"u8) < 0)
        {
            return null;
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(frame);
        }
        catch (JsonException)
        {
            return null;
        }

        var items = new List<JsonObject>();
        if (!isResponseCreate)
        {
            if (root?["item"] is JsonObject item)
            {
                items.Add(item);
            }
        }
        else if (root?["response"]?["input"] is JsonArray input)
        {
            items.AddRange(input.OfType<JsonObject>());
        }

        lock (_lock)
        {
            var outputs = new List<ToolCall>();
            foreach (var item in items)
            {
                var itemType = Text(item["type"]);
                if (itemType == "function_call")
                {
                    return BridgeErrors.ToolOutputRefused;
                }

                if (itemType == "function_call_output")
                {
                    if (Text(item["call_id"]) is not { } callId || _calls is null || !_calls.TryGetValue(callId, out var call) || call.IsServer || call.OutputGiven || outputs.Contains(call))
                    {
                        return BridgeErrors.ToolOutputRefused;
                    }

                    outputs.Add(call);
                }
            }

            foreach (var call in outputs)
            {
                call.OutputGiven = true;
            }
        }

        return null;
    }

    /// <summary>
    /// For continuity: a new upstream connection replaced the old one, whose response in progress (if any) is lost and
    /// will send no <c>response.done</c>. Outputs that still await an answer get their <c>response.create</c> now.
    /// </summary>
    public void OnUpstreamReplaced() => OnResponseDone();

    /// <summary>The session is ending: running calls are cancelled (their webhook requests aborted), nothing new starts.</summary>
    public void Stop()
    {
        CancellationTokenSource? stopping;
        lock (_lock)
        {
            _stopped = true;
            stopping = _stopping;
        }

        try
        {
            stopping?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed already: nothing runs.
        }
    }

    /// <summary>Stops, then waits for every task this session's tools started. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        Stop();
        Task[] tasks;
        lock (_lock)
        {
            tasks = _tasks is null ? [] : [.. _tasks];
        }

        // Each task catches and logs its own failures.
        await Task.WhenAll(tasks).ConfigureAwait(false);
        _stopping?.Dispose();
        _slots?.Dispose();
        _sendGate?.Dispose();
    }

    /// <summary>Cancelled by <see cref="Stop"/> (already cancelled once stopped); the source is made by the first call that needs it.</summary>
    private CancellationToken StoppingToken()
    {
        lock (_lock)
        {
            return _stopped ? new CancellationToken(canceled: true) : (_stopping ??= new()).Token;
        }
    }

    /// <summary>At most <c>Webhooks:MaxConcurrentCallsPerSession</c> webhook requests at once.</summary>
    private SemaphoreSlim Slots => LazyInitializer.EnsureInitialized(ref _slots, () => new SemaphoreSlim(_services.Options.MaxConcurrentCallsPerSession, _services.Options.MaxConcurrentCallsPerSession));

    /// <summary>One output or <c>response.create</c> injected at a time, so each output precedes the response that answers it.</summary>
    private SemaphoreSlim SendGate => LazyInitializer.EnsureInitialized(ref _sendGate, static () => new SemaphoreSlim(1, 1));

    private HashSet<string> HiddenItemsLocked() => _hiddenItems ??= new(StringComparer.Ordinal);

    /// <summary>
    /// Whether an upstream frame's type can concern a tool (the hot path: reads the type only, allocates nothing); every
    /// other frame passes on its type alone. Session events matter only when the server has tools to hide.
    /// </summary>
    internal static bool IsToolEvent(ReadOnlySpan<byte> frame, bool hasServerTools) =>
        RealtimeCodec.TryReadType(frame, out var type) && Concerns(type, hasServerTools);

    private static bool Concerns(ReadOnlySpan<byte> type, bool hasServerTools)
    {
        if (type.Length == 0)
        {
            return false;
        }

        switch (type[0])
        {
            case (byte)'r':
                return type.StartsWith("response.output_item."u8)
                    || type.StartsWith("response.function_call_arguments."u8)
                    || type.StartsWith("response.mcp_"u8)
                    || type.SequenceEqual("response.done"u8)
                    || type.SequenceEqual("response.created"u8);
            case (byte)'c':
                return type.SequenceEqual("conversation.item.added"u8)
                    || type.SequenceEqual("conversation.item.done"u8)
                    || type.SequenceEqual("conversation.item.created"u8)
                    || type.SequenceEqual("conversation.item.retrieved"u8);
            case (byte)'m':
                return type.StartsWith("mcp_list_tools"u8);
            case (byte)'s':
                return hasServerTools && (type.SequenceEqual("session.created"u8) || type.SequenceEqual("session.updated"u8));
            case (byte)'e':
                return type.SequenceEqual("error"u8);
            default:
                return false;
        }
    }

    /// <summary>False to drop the event; <paramref name="rewritten"/> set when the browser gets a changed copy.</summary>
    private bool Inspect(ReadOnlySpan<byte> frame, out byte[]? rewritten)
    {
        rewritten = null;
        var root = JsonNode.Parse(frame) as JsonObject;
        var type = Text(root?["type"]);
        if (root is null || type is null)
        {
            return true;
        }

        if (type.StartsWith("response.mcp_", StringComparison.Ordinal) || type.StartsWith("mcp_list_tools", StringComparison.Ordinal))
        {
            return false;
        }

        switch (type)
        {
            case "session.created" or "session.updated":
                rewritten = ToolSessionJson.StripServerTools(frame, _catalog);
                return true;

            case "response.created":
                lock (_lock)
                {
                    _responseActive = true;
                }

                return true;

            case "response.done":
                rewritten = WithoutHiddenOutput(root);
                OnResponseDone();
                return true;

            case "error":
                return Text(root["error"]?["event_id"]) is not { } eventId || !eventId.StartsWith(EventIdPrefix, StringComparison.Ordinal);

            case "response.output_item.added" or "response.output_item.done":
                return OnOutputItem(root["item"] as JsonObject, done: type.EndsWith(".done", StringComparison.Ordinal));

            case "response.function_call_arguments.delta" or "response.function_call_arguments.done":
                lock (_lock)
                {
                    return !(Text(root["call_id"]) is { } callId && _calls is not null && _calls.TryGetValue(callId, out var call) && call.IsServer)
                        && !(Text(root["item_id"]) is { } itemId && _hiddenItems is not null && _hiddenItems.Contains(itemId));
                }

            default:
                // conversation.item.added / done / created / retrieved
                return !IsHiddenItem(root["item"] as JsonObject);
        }
    }

    /// <summary>A model output item: a server function call is recorded (and started when done) and hidden; MCP items are hidden.</summary>
    private bool OnOutputItem(JsonObject? item, bool done)
    {
        var itemType = Text(item?["type"]);
        if (item is null || itemType is null)
        {
            return true;
        }

        if (itemType.StartsWith("mcp_", StringComparison.Ordinal))
        {
            lock (_lock)
            {
                if (Text(item["id"]) is { } id)
                {
                    HiddenItemsLocked().Add(id);
                }
            }

            return false;
        }

        if (itemType != "function_call" || Text(item["call_id"]) is not { } callId)
        {
            return true;
        }

        var name = Text(item["name"]) ?? string.Empty;
        var isServer = _catalog.IsServerFunction(name);
        ToolCall? toStart = null;
        lock (_lock)
        {
            _calls ??= new(StringComparer.Ordinal);
            if (!_calls.TryGetValue(callId, out var call))
            {
                call = new ToolCall(callId, name, isServer);
                _calls[callId] = call;
            }

            if (isServer && Text(item["id"]) is { } id)
            {
                HiddenItemsLocked().Add(id);
            }

            if (isServer && done && !call.Started && !_stopped)
            {
                call.Started = true;
                _runningCalls++;
                toStart = call;
            }
        }

        if (toStart is not null)
        {
            Track(RunCallAsync(toStart, Text(item["arguments"]) ?? string.Empty), "tool call");
        }

        return !isServer;
    }

    private bool IsHiddenItem(JsonObject? item)
    {
        var itemType = Text(item?["type"]);
        if (item is null || itemType is null)
        {
            return false;
        }

        if (itemType.StartsWith("mcp_", StringComparison.Ordinal))
        {
            return true;
        }

        lock (_lock)
        {
            if (Text(item["id"]) is { } id && _hiddenItems is not null && _hiddenItems.Contains(id))
            {
                return true;
            }

            if (itemType is "function_call" or "function_call_output")
            {
                var callId = Text(item["call_id"]);
                var isServer = (callId is not null && _calls is not null && _calls.TryGetValue(callId, out var call) && call.IsServer)
                    || (itemType == "function_call" && _catalog.IsServerFunction(Text(item["name"])));
                if (isServer && Text(item["id"]) is { } itemId)
                {
                    HiddenItemsLocked().Add(itemId);
                }

                return isServer;
            }
        }

        return false;
    }

    /// <summary>The <c>response.done</c> for the browser: the server tools' items taken out of <c>response.output</c>; null if none were there.</summary>
    private byte[]? WithoutHiddenOutput(JsonObject root)
    {
        if (root["response"]?["output"] is not JsonArray output)
        {
            return null;
        }

        var changed = false;
        for (var i = output.Count - 1; i >= 0; i--)
        {
            if (output[i] is JsonObject item && (IsHiddenItem(item) || IsServerCallItem(item)))
            {
                output.RemoveAt(i);
                changed = true;
            }
        }

        return changed ? JsonSerializer.SerializeToUtf8Bytes(root) : null;
    }

    private bool IsServerCallItem(JsonObject item) => Text(item["type"]) == "function_call" && _catalog.IsServerFunction(Text(item["name"]));

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>A call the model made: a server tool's (run here) or a client tool's (its output comes from the browser).</summary>
    private sealed class ToolCall(string callId, string name, bool isServer)
    {
        public string CallId { get; } = callId;

        public string Name { get; } = name;

        public bool IsServer { get; } = isServer;

        public bool Started { get; set; }

        public bool OutputGiven { get; set; }
    }
}
