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
internal sealed partial class UpstreamContinuity
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
