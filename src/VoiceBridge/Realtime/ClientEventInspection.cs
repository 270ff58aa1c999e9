using System.Text.Json;

namespace VoiceBridge.Realtime;

/// <summary>
/// What <see cref="ClientEventInspector.Inspect"/> learned from one browser text frame. Holds
/// offsets into the frame, never the frame itself: pass the same frame back to the span methods.
/// </summary>
/// <remarks>The default value is an invalid frame.</remarks>
internal readonly struct ClientEventInspection
{
    internal ClientEventInspection(
        ClientEventKind kind,
        int typeOffset,
        int typeLength,
        bool typeIsEscaped,
        int audioByteCount,
        bool hasSystemRole)
    {
        IsValid = true;
        Kind = kind;
        TypeOffset = typeOffset;
        TypeLength = typeLength;
        TypeIsEscaped = typeIsEscaped;
        AudioByteCount = audioByteCount;
        HasSystemRole = hasSystemRole;
    }

    /// <summary>
    /// Same rule as <see cref="RealtimeCodec.IsValidClientEvent"/>: one well-formed JSON object
    /// (default max depth 64) with exactly one top-level <c>type</c> property, whose value is a string.
    /// When false, every other member is zero.
    /// </summary>
    public bool IsValid { get; }

    /// <summary>Decided on the unescaped value, so <c>"session\u002eupdate"</c> is a <see cref="ClientEventKind.SessionUpdate"/>.</summary>
    public ClientEventKind Kind { get; }

    /// <summary>Index in the frame of the first byte of the <c>type</c> value (after its opening quote).</summary>
    public int TypeOffset { get; }

    /// <summary>Length of the raw (possibly escaped) <c>type</c> value, quotes excluded.</summary>
    public int TypeLength { get; }

    /// <summary>Whether the raw <c>type</c> value contains JSON escapes (compare with <see cref="TypeEquals(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>, not byte-wise).</summary>
    public bool TypeIsEscaped { get; }

    /// <summary>
    /// For <see cref="ClientEventKind.InputAudioBufferAppend"/>: the bytes the top-level string
    /// <c>audio</c> decodes to (4 base64 characters = 3 bytes, less one per trailing <c>=</c>). It is
    /// never less than the true count: an escaped value is counted by its raw length, and duplicated
    /// <c>audio</c> properties are added up. Zero for other kinds or when <c>audio</c> is not a string.
    /// The base64 itself is not validated (the upstream rejects bad base64).
    /// </summary>
    public int AudioByteCount { get; }

    /// <summary>
    /// For <see cref="ClientEventKind.ConversationItemCreate"/>: whether a <c>role</c> property directly
    /// in a top-level <c>item</c> object is the string <c>system</c> (escapes decoded; any of several
    /// duplicated <c>item</c> or <c>role</c> properties counts). False for other kinds.
    /// </summary>
    public bool HasSystemRole { get; }

    /// <summary>The raw <c>type</c> value as it appears in <paramref name="frame"/> (escapes not decoded).</summary>
    public ReadOnlySpan<byte> RawType(ReadOnlySpan<byte> frame) => frame.Slice(TypeOffset, TypeLength);

    /// <summary>Whether the event type, escapes decoded, equals <paramref name="utf8Type"/>. No allocation.</summary>
    public bool TypeEquals(ReadOnlySpan<byte> frame, ReadOnlySpan<byte> utf8Type)
    {
        if (!IsValid)
        {
            return false;
        }

        if (!TypeIsEscaped)
        {
            return RawType(frame).SequenceEqual(utf8Type);
        }

        var reader = QuotedTypeReader(frame);
        try
        {
            return reader.ValueTextEquals(utf8Type);
        }
        catch (InvalidOperationException)
        {
            return false; // An escaped lone surrogate cannot equal any valid name.
        }
    }

    /// <summary>Whether the event type, escapes decoded, equals <paramref name="type"/>. No allocation.</summary>
    public bool TypeEquals(ReadOnlySpan<byte> frame, string type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!IsValid)
        {
            return false;
        }

        var reader = QuotedTypeReader(frame);
        try
        {
            return reader.ValueTextEquals(type.AsSpan());
        }
        catch (InvalidOperationException)
        {
            return false; // An escaped lone surrogate cannot equal any valid string.
        }
    }

    /// <summary>
    /// Copies the event type, escapes decoded, into <paramref name="destination"/>. False (nothing
    /// written) when it might not fit: make <paramref name="destination"/> at least <see cref="TypeLength"/>
    /// bytes, or when the value cannot be decoded (an escaped lone surrogate).
    /// </summary>
    public bool TryCopyType(ReadOnlySpan<byte> frame, Span<byte> destination, out int written)
    {
        written = 0;
        if (!IsValid || destination.Length < TypeLength)
        {
            return false;
        }

        if (!TypeIsEscaped)
        {
            RawType(frame).CopyTo(destination);
            written = TypeLength;
            return true;
        }

        var reader = QuotedTypeReader(frame);
        try
        {
            written = reader.CopyString(destination);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // The value with its quotes is a complete JSON document of one string: a reader over it
    // decodes escapes exactly as the full-frame reader would.
    private Utf8JsonReader QuotedTypeReader(ReadOnlySpan<byte> frame)
    {
        var reader = new Utf8JsonReader(frame.Slice(TypeOffset - 1, TypeLength + 2));
        reader.Read();
        return reader;
    }
}
