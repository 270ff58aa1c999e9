using System.Text.Json;

namespace VoiceBridge.Sessions;

/// <summary>
/// The conversation as text, fed as events pass: the upstream's items, transcripts and output texts (through
/// <see cref="UpstreamEventObserver"/>), the browser's typed user messages (through <see cref="BrowserEventGate"/>), and
/// server tool calls (<see cref="AddToolCall"/>, <see cref="AddToolOutput"/>). A new upstream connection is primed with
/// its last entries (<see cref="ForReplay"/>); the session-ended webhook's transcript is <see cref="Snapshot"/>.
/// </summary>
/// <remarks>
/// Bounded: past <see cref="Capacity"/> entries the oldest are dropped. Only the few events it reads cost anything
/// (a <see cref="JsonDocument"/> each, a handful per turn); every other event, audio above all, is a few byte
/// comparisons of its type. Thread-safe: the upstream pump, the browser pump and tool calls feed it concurrently.
/// </remarks>
internal sealed class ConversationRecord
{
    /// <summary>What the session-ended webhook may want at most (<c>Webhooks:MaxTranscriptItems</c>' ceiling).</summary>
    public const int DefaultCapacity = 1000;

    private readonly List<ConversationEntry> _entries = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;

    public ConversationRecord(TimeProvider timeProvider, int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _timeProvider = timeProvider;
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>A server tool call has no output yet (rollover waits for it).</summary>
    public bool HasPendingToolCall
    {
        get
        {
            lock (_lock)
            {
                return _entries.Exists(static e => e.IsPendingToolCall);
            }
        }
    }

    /// <summary>Every entry kept, oldest first (a copy).</summary>
    public IReadOnlyList<ConversationEntry> Snapshot()
    {
        lock (_lock)
        {
            return [.. _entries];
        }
    }

    /// <summary>
    /// The most recent entries a new connection is primed with, oldest first, worth at most <paramref name="maxItems"/>
    /// Realtime items. A tool call and its output stay together (an output without its call would be refused).
    /// </summary>
    public IReadOnlyList<ConversationEntry> ForReplay(int maxItems)
    {
        var picked = new List<ConversationEntry>();
        lock (_lock)
        {
            var left = maxItems;
            for (var i = _entries.Count - 1; i >= 0 && left > 0; i--)
            {
                var entry = _entries[i];
                if (!entry.IsReplayable)
                {
                    continue;
                }

                if (entry.ReplayItemCount > left)
                {
                    break;
                }

                left -= entry.ReplayItemCount;
                picked.Add(entry);
            }
        }

        picked.Reverse();
        return picked;
    }

    /// <summary>A server tool call the model made (the tools capability calls this); it replays as its <c>function_call</c> item.</summary>
    public void AddToolCall(string callId, string name, string argumentsJson, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        lock (_lock)
        {
            Append(new ConversationEntry(ConversationRole.Tool, null, null, at, CallId: callId, Name: name, Arguments: argumentsJson));
        }
    }

    /// <summary>
    /// The output of a server tool call (<paramref name="outcome"/>: <c>ok</c>, <c>error</c>, <c>timeout</c>,
    /// <c>cancelled</c>); it replays as the call's <c>function_call_output</c>. Unknown call ids are ignored (the call
    /// fell out of the bounded record).
    /// </summary>
    public void AddToolOutput(string callId, string outputJson, string outcome, DateTimeOffset at)
    {
        lock (_lock)
        {
            var index = _entries.FindLastIndex(e => e.Role == ConversationRole.Tool && e.CallId == callId);
            if (index >= 0)
            {
                _entries[index] = _entries[index] with { Output = outputJson, Outcome = outcome, OutputAt = at };
            }
        }
    }

    /// <summary>
    /// A browser's <c>conversation.item.create</c> that was forwarded: a user message with typed text is recorded now
    /// (in the order the caller typed it), unconfirmed until the upstream adds it.
    /// </summary>
    public void OnBrowserItemCreate(ReadOnlySpan<byte> clientEvent)
    {
        try
        {
            using var document = ConversationItemReader.Parse(clientEvent);
            if (!document.RootElement.TryGetProperty("item"u8, out var item) || item.ValueKind != JsonValueKind.Object
                || ConversationItemReader.ReadMessage(item) is not { Role: ConversationRole.User, Text: { } text } message)
            {
                return;
            }

            lock (_lock)
            {
                if (message.Id is null || IndexOf(message.Id) < 0)
                {
                    Append(new ConversationEntry(ConversationRole.User, message.Id, text, _timeProvider.GetUtcNow(), Confirmed: false));
                }
            }
        }
        catch (Exception e) when (UpstreamContinuity.IsMalformed(e))
        {
            // The gate forwards only JSON objects; anything else is not a message to record.
        }
    }

    /// <summary>
    /// Every upstream event but audio passes here (from <see cref="UpstreamEventObserver"/>); only items, transcripts,
    /// output texts and deletions are read.
    /// </summary>
    public void OnUpstreamEvent(ReadOnlySpan<byte> type, ReadOnlySpan<byte> frame)
    {
        var kind = Classify(type);
        if (kind == EventKind.None)
        {
            return;
        }

        try
        {
            using var document = ConversationItemReader.Parse(frame);
            Apply(kind, document.RootElement);
        }
        catch (Exception e) when (UpstreamContinuity.IsMalformed(e))
        {
            // A malformed event is forwarded as it is; it just teaches the record nothing.
        }
    }

    private enum EventKind : byte
    {
        None,

        /// <summary>An item was added to the conversation (it may create an entry).</summary>
        ItemAdded,

        /// <summary>An item's final content (it only completes an entry).</summary>
        ItemDone,
        InputTranscript,
        OutputTranscript,
        OutputText,
        ItemDeleted,
    }

    private static EventKind Classify(ReadOnlySpan<byte> type)
    {
        if (type.StartsWith("conversation.item."u8))
        {
            var rest = type["conversation.item."u8.Length..];
            if (rest.SequenceEqual("added"u8) || rest.SequenceEqual("created"u8))
            {
                return EventKind.ItemAdded;
            }

            if (rest.SequenceEqual("done"u8))
            {
                return EventKind.ItemDone;
            }

            if (rest.SequenceEqual("input_audio_transcription.completed"u8))
            {
                return EventKind.InputTranscript;
            }

            return rest.SequenceEqual("deleted"u8) ? EventKind.ItemDeleted : EventKind.None;
        }

        if (type.StartsWith("response."u8))
        {
            var rest = type["response."u8.Length..];
            if (rest.SequenceEqual("output_item.done"u8))
            {
                return EventKind.ItemDone;
            }

            if (rest.SequenceEqual("output_audio_transcript.done"u8) || rest.SequenceEqual("audio_transcript.done"u8))
            {
                return EventKind.OutputTranscript;
            }

            if (rest.SequenceEqual("output_text.done"u8) || rest.SequenceEqual("text.done"u8))
            {
                return EventKind.OutputText;
            }
        }

        return EventKind.None;
    }

    private void Apply(EventKind kind, JsonElement root)
    {
        switch (kind)
        {
            case EventKind.ItemAdded or EventKind.ItemDone:
                if (root.TryGetProperty("item"u8, out var item) && item.ValueKind == JsonValueKind.Object && ConversationItemReader.ReadMessage(item) is { Id: { } id } message)
                {
                    lock (_lock)
                    {
                        Upsert(id, message, create: kind == EventKind.ItemAdded);
                    }
                }

                break;

            case EventKind.InputTranscript:
                SetText(root, "transcript"u8, ConversationRole.User);
                break;

            case EventKind.OutputTranscript:
                SetText(root, "transcript"u8, ConversationRole.Assistant);
                break;

            case EventKind.OutputText:
                SetText(root, "text"u8, ConversationRole.Assistant);
                break;

            case EventKind.ItemDeleted:
                if (ConversationItemReader.ReadString(root, "item_id"u8) is { } deleted)
                {
                    lock (_lock)
                    {
                        var index = IndexOf(deleted);
                        if (index >= 0)
                        {
                            _entries.RemoveAt(index);
                        }
                    }
                }

                break;
        }
    }

    /// <summary>An item the upstream added or finished: confirms a typed message, completes an entry's text, or adds one.</summary>
    private void Upsert(string id, ConversationItemReader.ReadItem message, bool create)
    {
        var index = IndexOf(id);
        if (index < 0 && message.Role == ConversationRole.User && message.Text is { } typed)
        {
            // The acknowledgement of a typed message the browser sent without an id.
            index = _entries.FindIndex(e => !e.Confirmed && e.ItemId is null && e.Text == typed);
        }

        if (index >= 0)
        {
            var entry = _entries[index];
            _entries[index] = entry with { ItemId = id, Confirmed = true, Text = entry.Text ?? message.Text };
        }
        else if (create)
        {
            Append(new ConversationEntry(message.Role, id, message.Text, _timeProvider.GetUtcNow()));
        }
    }

    private void SetText(JsonElement root, ReadOnlySpan<byte> property, ConversationRole role)
    {
        if (ConversationItemReader.ReadString(root, "item_id"u8) is not { } id || ConversationItemReader.ReadString(root, property) is not { } text)
        {
            return;
        }

        lock (_lock)
        {
            var index = IndexOf(id);
            if (index >= 0 && _entries[index].Role == role)
            {
                _entries[index] = _entries[index] with { Text = text };
            }
        }
    }

    private void Append(ConversationEntry entry)
    {
        _entries.Add(entry);
        if (_entries.Count > Capacity)
        {
            _entries.RemoveRange(0, _entries.Count - Capacity);
        }
    }

    /// <summary>Searched from the end: the items events name are almost always the latest.</summary>
    private int IndexOf(string itemId) => _entries.FindLastIndex(e => e.ItemId == itemId);
}
