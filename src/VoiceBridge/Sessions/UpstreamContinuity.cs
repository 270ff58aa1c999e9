using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Sessions;

/// <summary>
/// What upstream reconnect and rollover need to know about a call, and the filter that keeps a replaced connection
/// invisible to the browser. Its hook in the upstream pump (<see cref="Admit"/>) follows each connection: the response
/// in progress, speech being captured, the session's <c>expires_at</c> and output modalities, the items it made; it
/// drops the new connection's <c>session.created</c>/<c>session.updated</c>, the acknowledgements of replayed items,
/// errors answering the priming, and OpenAI's <c>session_expired</c> (a reconnect follows its 1001). Its hooks in the
/// browser gate remember the browser's forwarded <c>session.update</c>s and refuse events naming an item of an earlier
/// connection. It owns no socket and no loop: <see cref="BridgeSession"/> does the switching.
/// </summary>
internal sealed class UpstreamContinuity
{
    /// <summary>Before the provider's <c>expires_at</c>, the rollover comes this early (only for a connection that lives longer than this).</summary>
    public static readonly TimeSpan ExpiryMargin = TimeSpan.FromMinutes(5);

    /// <summary>Item ids remembered per connection and across earlier ones: enough for hours of turns, bounded against a flood.</summary>
    private const int MaxTrackedItemIds = 4096;

    /// <summary>The longest wait a timer takes (<see cref="ITimer.Change"/>: 0xFFFFFFFE ms, ~49.7 days).</summary>
    private const double MaxTimerMilliseconds = uint.MaxValue - 1.0;

    private static readonly JsonDocumentOptions StrictDocument = new() { AllowDuplicateProperties = false };

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ContinuityOptions _options;
    private readonly SessionShape _shape;
    private readonly ConversationRecord _record;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    // Made by the first item (under _lock): an idle session has none.
    private HashSet<string>? _currentItemIds;
    private HashSet<string>? _staleItemIds;
    /// <summary>
    /// What a waiter for a quiet moment waits on; null while nobody waits (an idle session holds none, and the events
    /// that signal allocate nothing then).
    /// </summary>
    private TaskCompletionSource? _changed;

    /// <summary>Fires when the current connection is due for rollover; re-armed when the deadline moves (under <see cref="_lock"/>).</summary>
    private ITimer? _rolloverTimer;
    private bool _rolloverStopped;
    private UpstreamPriming? _priming;
    private bool _sessionCreatedDropped;
    private int _sessionUpdatedToDrop;
    private JsonObject? _browserSession;
    private string? _outputModalities;
    private string? _responseId;
    private volatile bool _responseInProgress;
    private volatile bool _speechInProgress;
    private volatile bool _hasStaleItems;
    private long _connectionStarted;
    private DateTimeOffset _connectionStartedAt;
    private DateTimeOffset? _expiresAt;
    private int _generation;

    public UpstreamContinuity(ContinuityOptions options, SessionShape shape, ConversationRecord record, TimeProvider timeProvider)
    {
        _options = options;
        _shape = shape;
        _record = record;
        _timeProvider = timeProvider;
        _connectionStarted = timeProvider.GetTimestamp();
        _connectionStartedAt = timeProvider.GetUtcNow();
    }

    public ContinuityOptions Options => _options;

    /// <summary>No response in progress, no speech being captured, no server tool call pending: a switch loses nothing.</summary>
    public bool IsQuiet => !_responseInProgress && !_speechInProgress && !_record.HasPendingToolCall;

    /// <summary>
    /// The upstream pump's hook: false for an event the browser must not see (the caller releases it). Audio deltas
    /// return at the first comparison; the few events read here are rare (a handful per turn).
    /// </summary>
    public bool Admit(WebSocket socket, ReadOnlySpan<byte> frame)
    {
        Span<byte> scratch = stackalloc byte[64];
        if (!RealtimeCodec.TryReadType(frame, scratch, out var type) || RealtimeEventTypes.IsAudioDelta(type))
        {
            return true;
        }

        if (type.SequenceEqual(RealtimeEventTypes.ResponseCreated))
        {
            _responseId = ReadString(frame, "response"u8, "id"u8);
            _responseInProgress = true;
            return true;
        }

        if (type.SequenceEqual(RealtimeEventTypes.ResponseDone))
        {
            _responseInProgress = false;
            Signal();
            return true;
        }

        if (type.SequenceEqual("input_audio_buffer.speech_started"u8))
        {
            _speechInProgress = true;
            return true;
        }

        if (type.SequenceEqual("input_audio_buffer.speech_stopped"u8) || type.SequenceEqual(RealtimeEventTypes.InputAudioBufferCommitted)
            || type.SequenceEqual("input_audio_buffer.cleared"u8))
        {
            _speechInProgress = false;
            Signal();
            return true;
        }

        if (type.SequenceEqual("conversation.item.added"u8) || type.SequenceEqual("conversation.item.created"u8)
            || type.SequenceEqual("conversation.item.done"u8) || type.SequenceEqual("response.output_item.added"u8))
        {
            return AdmitItem(socket, frame);
        }

        if (type.SequenceEqual("session.created"u8) || type.SequenceEqual("session.updated"u8))
        {
            return AdmitSession(socket, frame, created: type[8] == (byte)'c');
        }

        if (type.SequenceEqual(RealtimeEventTypes.Error))
        {
            return AdmitError(frame);
        }

        return true;
    }

    /// <summary>The browser gate's hook for a forwarded (post-policy) <c>session.update</c>: it is part of the configuration a new connection gets.</summary>
    public void RememberBrowserSessionUpdate(ReadOnlySpan<byte> forwarded)
    {
        JsonObject session;
        try
        {
            // A browser's JSON may repeat a property, which JsonNode would only refuse later, in the middle of a merge.
            if (JsonNode.Parse(forwarded, documentOptions: StrictDocument)?["session"] is not JsonObject parsed)
            {
                return;
            }

            session = parsed;
        }
        catch (Exception e) when (IsMalformed(e))
        {
            return;
        }

        lock (_lock)
        {
            _browserSession ??= [];
            Merge(_browserSession, session);
        }
    }

    /// <summary>
    /// The browser gate's hook: a <c>conversation.item.truncate</c>, <c>.delete</c> or <c>.retrieve</c> naming an item of
    /// an earlier connection is not forwarded (the new connection has no such item).
    /// </summary>
    public bool RefersToEarlierConnection(ReadOnlySpan<byte> clientEvent)
    {
        if (!_hasStaleItems)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[64];
        if (!RealtimeCodec.TryReadType(clientEvent, scratch, out var type)
            || !(type.SequenceEqual("conversation.item.truncate"u8) || type.SequenceEqual("conversation.item.delete"u8) || type.SequenceEqual("conversation.item.retrieve"u8)))
        {
            return false;
        }

        var itemId = ReadString(clientEvent, "item_id"u8, default);
        lock (_lock)
        {
            return itemId is not null && _staleItemIds is not null && _staleItemIds.Contains(itemId);
        }
    }

    /// <summary>A response was in progress on the connection that dropped: its id (or empty), and it is over.</summary>
    public string? TakeInterruptedResponse()
    {
        if (!_responseInProgress)
        {
            return null;
        }

        _responseInProgress = false;
        return _responseId ?? string.Empty;
    }

    /// <summary>
    /// What a new connection is sent first: <paramref name="configured"/> (the server's <c>session.update</c> and the
    /// token's), the browser's changes merged into one <c>session.update</c>, the output modalities pinned, then the
    /// last <see cref="ContinuityOptions.ReplayItems"/> items of the record as <c>conversation.item.create</c>.
    /// </summary>
    public UpstreamPriming Prime(WebSocket next, ReadOnlyMemory<byte>[] configured)
    {
        var generation = Interlocked.Increment(ref _generation);
        var frames = new List<ReadOnlyMemory<byte>>(configured);
        var sequence = 0;
        lock (_lock)
        {
            if (_browserSession is { } browser)
            {
                frames.Add(Write(generation, sequence++, browser, static (writer, session) =>
                {
                    writer.WriteString("type"u8, RealtimeEventTypes.SessionUpdate);
                    writer.WritePropertyName("session"u8);
                    session.WriteTo(writer);
                }));
            }

            if (_outputModalities is { } modalities)
            {
                frames.Add(Write(generation, sequence++, (modalities, _shape), static (writer, state) =>
                {
                    writer.WriteString("type"u8, RealtimeEventTypes.SessionUpdate);
                    writer.WriteStartObject("session"u8);
                    if (state._shape == SessionShape.GA)
                    {
                        writer.WriteString("type"u8, "realtime"u8);
                        writer.WritePropertyName("output_modalities"u8);
                    }
                    else
                    {
                        writer.WritePropertyName("modalities"u8);
                    }

                    writer.WriteRawValue(state.modalities);
                    writer.WriteEndObject();
                }));
            }
        }

        var sessionUpdates = frames.Count;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in _record.ForReplay(_options.ReplayItems))
        {
            foreach (var item in ConversationReplay.Items(entry, _shape))
            {
                var id = $"vbr{generation}_{ids.Count}";
                ids.Add(id);
                frames.Add(Write(generation, sequence++, (item, id), static (writer, state) =>
                {
                    writer.WriteString("type"u8, RealtimeEventTypes.ConversationItemCreate);
                    writer.WriteStartObject("item"u8);
                    writer.WriteString("id"u8, state.id);
                    state.item(writer);
                    writer.WriteEndObject();
                }));
            }
        }

        return new UpstreamPriming(next, [.. frames], sessionUpdates, ids);
    }

    /// <summary>
    /// A connection starts carrying the call (called before its pump reads): its clock starts, and with a priming its
    /// answers to it are dropped. The items of the connections before it become "earlier" items.
    /// </summary>
    public void ConnectionStarted(UpstreamPriming? priming)
    {
        lock (_lock)
        {
            _priming = priming;
            _sessionCreatedDropped = false;
            _sessionUpdatedToDrop = priming?.SessionUpdates ?? 0;
            _expiresAt = null;
            _speechInProgress = false;
            _connectionStarted = _timeProvider.GetTimestamp();
            _connectionStartedAt = _timeProvider.GetUtcNow();
            if (_currentItemIds is { Count: > 0 } current)
            {
                _staleItemIds ??= new(StringComparer.Ordinal);
                foreach (var id in current)
                {
                    if (_staleItemIds.Count < MaxTrackedItemIds)
                    {
                        _staleItemIds.Add(id);
                    }
                }

                current.Clear();
            }

            _hasStaleItems = _staleItemIds is { Count: > 0 };
            ArmRolloverLocked();
        }

        Signal();
    }

    /// <summary>How long until the current connection is due for rollover (zero or less: due now).</summary>
    public TimeSpan RolloverDueIn()
    {
        lock (_lock)
        {
            return RolloverDueInLocked();
        }
    }

    /// <summary>
    /// Creates the session's one rollover timer, armed for the current connection's deadline: <paramref name="due"/>
    /// runs (on a timer thread) when rollover may be due, and asks <see cref="IsRolloverDue"/>. No task waits meanwhile,
    /// so an idle session holds a timer, not a waiting loop.
    /// </summary>
    public void StartRolloverTimer(TimerCallback due, object state)
    {
        lock (_lock)
        {
            if (_rolloverTimer is not null || _rolloverStopped)
            {
                return;
            }

            _rolloverTimer = _timeProvider.CreateTimer(due, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            ArmRolloverLocked();
        }
    }

    /// <summary>The timer's question: true when rollover is due now; otherwise the timer is armed again for the (moved) deadline.</summary>
    public bool IsRolloverDue()
    {
        lock (_lock)
        {
            if (_rolloverTimer is null)
            {
                // Stopped: the session is ending.
                return false;
            }

            if (RolloverDueInLocked() <= TimeSpan.Zero)
            {
                return true;
            }

            ArmRolloverLocked();
            return false;
        }
    }

    /// <summary>Arms the rollover timer for the current deadline again (after a rollover, which does not watch the timer).</summary>
    public void ArmRollover()
    {
        lock (_lock)
        {
            ArmRolloverLocked();
        }
    }

    /// <summary>The session is ending: the timer is disposed and never created again.</summary>
    public void StopRollover()
    {
        ITimer? timer;
        lock (_lock)
        {
            _rolloverStopped = true;
            timer = _rolloverTimer;
            _rolloverTimer = null;
        }

        timer?.Dispose();
    }

    private void ArmRolloverLocked()
    {
        if (_rolloverTimer is not { } timer)
        {
            return;
        }

        // At least 1 ms (rounded up) and at most what a timer takes: a timer never fires inside Change (a fake clock
        // would run the callback here, under this lock), and one that fires early just arms again.
        var wait = Math.Clamp(Math.Ceiling(RolloverDueInLocked().TotalMilliseconds), 1, MaxTimerMilliseconds);
        timer.Change(TimeSpan.FromMilliseconds(wait), Timeout.InfiniteTimeSpan);
    }

    private TimeSpan RolloverDueInLocked()
    {
        var due = _options.RolloverAfter - _timeProvider.GetElapsedTime(_connectionStarted);
        var expiresAt = _expiresAt;
        var startedAt = _connectionStartedAt;

        // A connection that lives no longer than the margin cannot roll over "5 minutes before" its end: the reconnect
        // at its close carries the call instead (and rolling over at once would only churn connections).
        if (expiresAt is { } expiry && expiry - startedAt > ExpiryMargin)
        {
            var beforeExpiry = expiry - ExpiryMargin - _timeProvider.GetUtcNow();
            due = beforeExpiry < due ? beforeExpiry : due;
        }

        return due;
    }

    /// <summary>
    /// Waits for a quiet moment. Responses and speech signal their end; a server tool's output does not, so the wait
    /// also looks again every <paramref name="poll"/>.
    /// </summary>
    public async Task WaitForQuietAsync(TimeSpan poll, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Changed();
            if (IsQuiet)
            {
                return;
            }

            await WaitAsync(poll, changed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(TimeSpan delay, Task changed, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, _timeProvider, stop.Token);
        await Task.WhenAny(timer, changed).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await timer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Completes at the next <see cref="Signal"/>; read it before checking the condition waited for.</summary>
    private Task Changed()
    {
        if (Volatile.Read(ref _changed) is { } current)
        {
            return current.Task;
        }

        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _changed, created, null) ?? created).Task;
    }

    private void Signal() => Interlocked.Exchange(ref _changed, null)?.TrySetResult();

    private bool AdmitItem(WebSocket socket, ReadOnlySpan<byte> frame)
    {
        var id = ReadString(frame, "item"u8, "id"u8);
        if (id is null)
        {
            return true;
        }

        lock (_lock)
        {
            if (_priming is { } priming && ReferenceEquals(priming.Socket, socket) && priming.ReplayedItemIds.Contains(id))
            {
                return false;
            }

            _currentItemIds ??= new(StringComparer.Ordinal);
            if (_currentItemIds.Count < MaxTrackedItemIds)
            {
                _currentItemIds.Add(id);
            }
        }

        return true;
    }

    private bool AdmitSession(WebSocket socket, ReadOnlySpan<byte> frame, bool created)
    {
        string? modalities = null;
        long? expiresAt = null;
        try
        {
            var reader = new Utf8JsonReader(frame);
            using var document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.TryGetProperty("session"u8, out var session) && session.ValueKind == JsonValueKind.Object)
            {
                if (session.TryGetProperty(_shape == SessionShape.GA ? "output_modalities"u8 : "modalities"u8, out var value) && value.ValueKind == JsonValueKind.Array)
                {
                    modalities = value.GetRawText();
                }

                if (created && session.TryGetProperty("expires_at"u8, out var expires) && expires.TryGetInt64(out var seconds) && seconds > 0)
                {
                    expiresAt = seconds;
                }
            }
        }
        catch (Exception e) when (IsMalformed(e))
        {
            // Not ours to judge: forwarded as it is.
        }

        bool admit;
        lock (_lock)
        {
            var primed = _priming is { } priming && ReferenceEquals(priming.Socket, socket);
            if (created)
            {
                admit = !primed || _sessionCreatedDropped;
                _sessionCreatedDropped |= primed;
                if (expiresAt is { } expiry)
                {
                    _expiresAt = DateTimeOffset.FromUnixTimeSeconds(expiry);
                    ArmRolloverLocked();
                }
            }
            else
            {
                admit = !primed || _sessionUpdatedToDrop == 0;
                if (!admit)
                {
                    _sessionUpdatedToDrop--;
                }
            }

            if (modalities is not null)
            {
                _outputModalities = modalities;
            }
        }

        if (created)
        {
            Signal();
        }

        return admit;
    }

    private bool AdmitError(ReadOnlySpan<byte> frame)
    {
        var code = ReadString(frame, "error"u8, "code"u8);
        if (code == "session_expired" && _options.ReconnectUpstream)
        {
            // OpenAI's notice before its 1001: the bridge replaces the connection, the browser carries on.
            return false;
        }

        return ReadString(frame, "error"u8, "event_id"u8) is not { } eventId || !eventId.StartsWith(UpstreamPriming.EventIdPrefix, StringComparison.Ordinal);
    }

    /// <summary>How malformed JSON shows itself: the reader's error, a repeated property, a string that cannot be transcoded.</summary>
    internal static bool IsMalformed(Exception e) => e is JsonException or InvalidOperationException or ArgumentException or FormatException;

    /// <summary>One priming frame: its own event id, then the fields.</summary>
    private static ReadOnlyMemory<byte> Write<TState>(int generation, int sequence, TState state, Action<Utf8JsonWriter, TState> fields)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("event_id"u8, $"{UpstreamPriming.EventIdPrefix}{generation}_{sequence}");
            fields(writer, state);
            writer.WriteEndObject();
        }

        return output.WrittenMemory;
    }

    /// <summary>GA's <c>session.update</c> merges nested objects and replaces arrays and values; so does this.</summary>
    private static void Merge(JsonObject target, JsonObject source)
    {
        foreach (var (name, value) in source)
        {
            if (value is JsonObject nested && target[name] is JsonObject existing)
            {
                Merge(existing, nested);
            }
            else
            {
                target[name] = value?.DeepClone();
            }
        }
    }

    /// <summary>A string at <c>outer.inner</c> (or at the top level when <paramref name="inner"/> is empty).</summary>
    private static string? ReadString(ReadOnlySpan<byte> json, ReadOnlySpan<byte> outer, ReadOnlySpan<byte> inner)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            var target = inner.IsEmpty ? 1 : 2;
            var inOuter = false;
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == 1)
                {
                    inOuter = false;
                    continue;
                }

                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                var depth = reader.CurrentDepth;
                if (depth == 1 && target == 2)
                {
                    inOuter = reader.ValueTextEquals(outer);
                    if (!inOuter)
                    {
                        reader.Skip();
                    }

                    continue;
                }

                if (depth == target && (target == 1 ? reader.ValueTextEquals(outer) : inOuter && reader.ValueTextEquals(inner)))
                {
                    reader.Read();
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                if (depth >= target)
                {
                    reader.Skip();
                }
            }
        }
        catch (Exception e) when (IsMalformed(e))
        {
            // Malformed: nothing to read.
        }

        return null;
    }
}
