using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace VoiceBridge.Realtime;

/// <summary>
/// The pure codec of the hot path: checks and rewrites Realtime frames in place over spans.
/// No sockets, no strings, no allocation: callers own every buffer.
/// </summary>
/// <remarks>
/// Data errors (malformed JSON, bad base64) are answered with <c>false</c>; only programming errors
/// (a destination smaller than documented) throw. Input text is assumed to be valid UTF-8: the
/// WebSocket layer already closes a text message that is not (1007), and <see cref="Utf8JsonReader"/>
/// does not re-check string contents.
/// </remarks>
internal static class RealtimeCodec
{
    private static ReadOnlySpan<byte> TypeName => "type"u8;

    private static ReadOnlySpan<byte> DeltaName => "delta"u8;

    // RealtimeEventTypes.InputAudioBufferAppend, spelled out: one constant prefix is copied per frame.
    private static ReadOnlySpan<byte> AppendPrefix => "{\"type\":\"input_audio_buffer.append\",\"audio\":\""u8;

    private static ReadOnlySpan<byte> AppendSuffix => "\"}"u8;

    /// <summary>
    /// True when a browser text frame is one well-formed JSON value (one full reader pass, default
    /// max depth 64, no comments, no trailing commas, no BOM) whose root is an object with exactly one
    /// top-level <c>type</c> property (escaped names count) and that property's value is a string.
    /// </summary>
    /// <remarks>
    /// A duplicated top-level <c>type</c> is refused: parsers disagree on which one wins (first or
    /// last), and a frame whose meaning depends on the parser must not be forwarded.
    /// </remarks>
    public static bool IsValidClientEvent(ReadOnlySpan<byte> utf8Json) => ClientEventInspector.Inspect(utf8Json).IsValid;

    /// <summary>
    /// Finds the top-level <c>type</c> string of an upstream frame and stops there; the rest of the
    /// frame is not validated. <paramref name="type"/> is a slice of <paramref name="utf8Json"/>.
    /// Returns false when there is no such string, when the root is not an object, when the JSON
    /// before it is malformed, or when the value contains escapes (no Realtime event name needs
    /// them; use the overload with a scratch buffer to unescape).
    /// </summary>
    public static bool TryReadType(ReadOnlySpan<byte> utf8Json, out ReadOnlySpan<byte> type) =>
        TryReadType(utf8Json, [], out type);

    /// <summary>
    /// As <see cref="TryReadType(ReadOnlySpan{byte}, out ReadOnlySpan{byte})"/>, but an escaped value
    /// is unescaped into <paramref name="scratch"/> and <paramref name="type"/> then points into it.
    /// Returns false if the unescaped value might not fit (escaped length &gt; scratch length).
    /// A 64-byte <c>stackalloc</c> is plenty for every Realtime event name.
    /// </summary>
    public static bool TryReadType(ReadOnlySpan<byte> utf8Json, Span<byte> scratch, out ReadOnlySpan<byte> type)
    {
        type = default;
        if (utf8Json.IsEmpty)
        {
            return false;
        }

        var reader = new Utf8JsonReader(utf8Json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                if (!reader.ValueTextEquals(TypeName))
                {
                    // Skip the value as a whole: nested "type" properties are never the event type.
                    reader.Skip();
                    continue;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                if (!reader.ValueIsEscaped)
                {
                    type = reader.ValueSpan;
                    return true;
                }

                // Unescaped text is never longer than its escaped form.
                if (reader.ValueSpan.Length > scratch.Length)
                {
                    return false;
                }

                var written = reader.CopyString(scratch);
                type = scratch[..written];
                return true;
            }

            return false;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>True for a binary audio frame the contract accepts: non-empty, whole PCM16 samples.</summary>
    public static bool IsValidAudioFrameLength(int pcmByteCount) => pcmByteCount > 0 && (pcmByteCount & 1) == 0;

    /// <summary>Exact length of the <c>input_audio_buffer.append</c> event for <paramref name="pcmByteCount"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or the event would not fit in an <see cref="int"/>.</exception>
    public static int GetAppendEventLength(int pcmByteCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pcmByteCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pcmByteCount, Base64.GetMaxDecodedFromUtf8Length(int.MaxValue - 64));

        // Standard padded base64 is exactly 4 * ceil(n / 3) bytes.
        return AppendPrefix.Length + Base64.GetMaxEncodedToUtf8Length(pcmByteCount) + AppendSuffix.Length;
    }

    /// <summary>
    /// Writes <c>{"type":"input_audio_buffer.append","audio":"&lt;base64 of pcm&gt;"}</c> straight into
    /// <paramref name="destination"/> and returns the bytes written (= <see cref="GetAppendEventLength"/>).
    /// The frame is not checked for PCM16 rules here; see <see cref="IsValidAudioFrameLength"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="GetAppendEventLength"/>.</exception>
    public static int WriteAppendEvent(ReadOnlySpan<byte> pcm, Span<byte> destination)
    {
        var length = GetAppendEventLength(pcm.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException("The destination is shorter than GetAppendEventLength(pcm.Length).", nameof(destination));
        }

        AppendPrefix.CopyTo(destination);
        var body = destination[AppendPrefix.Length..];
        var status = Base64.EncodeToUtf8(pcm, body, out _, out var encoded);
        if (status != OperationStatus.Done)
        {
            throw new InvalidOperationException("Base64 encoding into a buffer of the computed length failed.");
        }

        AppendSuffix.CopyTo(body[encoded..]);
        return AppendPrefix.Length + encoded + AppendSuffix.Length;
    }

    /// <summary>
    /// Splits an audio delta event into the same JSON without its top-level <c>delta</c> property
    /// (every other byte kept; the separating comma removed whether the property is first, in the
    /// middle or last) and the decoded PCM. Does not look at <c>type</c>: the caller has already.
    /// </summary>
    /// <param name="source">The upstream frame. Must not overlap either destination.</param>
    /// <param name="jsonWithoutDelta">At least <c>source.Length</c> bytes.</param>
    /// <param name="pcm">At least <c>Base64.GetMaxDecodedFromUtf8Length(source.Length)</c> bytes is always enough.</param>
    /// <returns>
    /// False (outputs meaningless; forward the frame unchanged) when the root is not an object, the
    /// JSON up to the property after <c>delta</c> is malformed, there is no top-level string
    /// <c>delta</c>, or it is not valid base64. An empty <c>delta</c> gives true and no PCM. Only the
    /// first top-level <c>delta</c> is taken; the frame after it is copied without validation.
    /// </returns>
    /// <exception cref="ArgumentException">A destination is too small.</exception>
    public static bool TrySplitAudioDelta(
        ReadOnlySpan<byte> source,
        Span<byte> jsonWithoutDelta,
        out int jsonLength,
        Span<byte> pcm,
        out int pcmLength)
    {
        jsonLength = 0;
        pcmLength = 0;
        if (jsonWithoutDelta.Length < source.Length)
        {
            throw new ArgumentException("The JSON destination must be at least as long as the source.", nameof(jsonWithoutDelta));
        }

        if (source.IsEmpty)
        {
            return false;
        }

        int removeStart;
        int removeEnd;
        var isFirst = true;
        var reader = new Utf8JsonReader(source);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (true)
            {
                // End of the previous top-level value (or just after '{'): the separator that
                // precedes the next property starts here.
                var previousEnd = (int)reader.BytesConsumed;
                if (!reader.Read() || reader.CurrentDepth == 0)
                {
                    return false; // EndObject of the root: no delta.
                }

                // At depth 1 only property names arrive here; values are consumed below.
                var isDelta = reader.ValueTextEquals(DeltaName);
                var nameStart = (int)reader.TokenStartIndex;
                reader.Read();
                if (!isDelta)
                {
                    reader.Skip();
                    isFirst = false;
                    continue;
                }

                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                var valueEnd = (int)reader.BytesConsumed;
                if (!TryDecodeBase64(ref reader, jsonWithoutDelta, pcm, out pcmLength))
                {
                    return false;
                }

                if (!isFirst)
                {
                    // ... <prev>[ , "delta":"..."] ...  keeps whatever follows the value.
                    removeStart = previousEnd;
                    removeEnd = valueEnd;
                }
                else
                {
                    // { ["delta":"...", ]"next":...}  or  { ["delta":"..."] }
                    removeStart = nameStart;
                    reader.Read();
                    removeEnd = reader.TokenType == JsonTokenType.PropertyName ? (int)reader.TokenStartIndex : valueEnd;
                }

                break;
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            pcmLength = 0;
            return false;
        }

        source[..removeStart].CopyTo(jsonWithoutDelta);
        source[removeEnd..].CopyTo(jsonWithoutDelta[removeStart..]);
        jsonLength = source.Length - (removeEnd - removeStart);
        return true;
    }

    private static bool TryDecodeBase64(ref Utf8JsonReader reader, Span<byte> scratch, Span<byte> pcm, out int pcmLength)
    {
        pcmLength = 0;
        var encoded = reader.ValueSpan;
        if (reader.ValueIsEscaped)
        {
            // JSON may escape '/' as "\/". Unescape into the JSON destination first (it is at least
            // source-long and is only written after decoding).
            var unescaped = reader.CopyString(scratch);
            encoded = scratch[..unescaped];
        }

        var status = Base64.DecodeFromUtf8(encoded, pcm, out _, out pcmLength);
        if (status == OperationStatus.DestinationTooSmall)
        {
            throw new ArgumentException("The PCM destination is too small for the decoded delta.", nameof(pcm));
        }

        if (status != OperationStatus.Done)
        {
            pcmLength = 0;
            return false;
        }

        return true;
    }

    /// <summary>
    /// The decoded byte count of an audio delta's top-level <c>delta</c> string, read without decoding it (for
    /// accounting); 0 when there is none. Never throws, allocates nothing.
    /// </summary>
    public static int GetAudioDeltaByteCount(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 0;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isDelta = reader.ValueTextEquals("delta"u8);
                reader.Read();
                if (isDelta && reader.TokenType == JsonTokenType.String)
                {
                    var value = reader.ValueSpan;
                    var padding = value.Length > 0 && value[^1] == (byte)'=' ? (value.Length > 1 && value[^2] == (byte)'=' ? 2 : 1) : 0;
                    return Math.Max(0, (value.Length / 4 * 3) - padding);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return 0;
    }
}
