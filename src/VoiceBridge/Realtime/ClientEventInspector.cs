using System.Text.Json;

namespace VoiceBridge.Realtime;

/// <summary>
/// One <see cref="Utf8JsonReader"/> pass over a browser text frame that validates it and extracts
/// everything the session's rules need: the event kind, where the type is, the audio size of an
/// append and whether an item asks for the system role. No allocation for a valid frame, never throws.
/// </summary>
/// <remarks>
/// Property order does not matter (<c>type</c> may come last): the facts are gathered for every
/// kind during the pass and kept for the kind found at the end. Property names and values are
/// compared with escapes decoded (<see cref="Utf8JsonReader.ValueTextEquals(ReadOnlySpan{byte})"/>), as
/// the upstream's parser reads them, so <c>"r\u006fle"</c> is <c>role</c>; a name or value that cannot be
/// decoded (an escaped lone surrogate) equals none of them, as in <see cref="RealtimeCodec.IsValidClientEvent"/>'s
/// rule, which only asks for well-formed JSON. A malformed frame costs the
/// reader's exception (caught here); valid frames allocate nothing.
/// </remarks>
internal static class ClientEventInspector
{
    private static ReadOnlySpan<byte> TypeName => "type"u8;

    private static ReadOnlySpan<byte> AudioName => "audio"u8;

    private static ReadOnlySpan<byte> ItemName => "item"u8;

    private static ReadOnlySpan<byte> RoleName => "role"u8;

    private static ReadOnlySpan<byte> SystemRole => "system"u8;

    /// <summary>Inspects <paramref name="frame"/>; see <see cref="ClientEventInspection"/> for what each member means.</summary>
    public static ClientEventInspection Inspect(ReadOnlySpan<byte> frame)
    {
        if (frame.IsEmpty)
        {
            return default;
        }

        var reader = new Utf8JsonReader(frame);
        var typeCount = 0;
        var typeOffset = 0;
        var typeLength = 0;
        var typeIsEscaped = false;
        var kind = ClientEventKind.Other;
        long audioBytes = 0;
        var hasSystemRole = false;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return default;
            }

            // At depth 1 the reader alternates property name / value; nested values are skipped
            // whole (Skip still reads, so still validates, every token inside them).
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = TopLevelProperty.Other;
                if (TextEquals(ref reader, TypeName))
                {
                    property = TopLevelProperty.Type;
                }
                else if (TextEquals(ref reader, AudioName))
                {
                    property = TopLevelProperty.Audio;
                }
                else if (TextEquals(ref reader, ItemName))
                {
                    property = TopLevelProperty.Item;
                }

                if (!reader.Read())
                {
                    return default;
                }

                switch (property)
                {
                    case TopLevelProperty.Type:
                        if (reader.TokenType != JsonTokenType.String || ++typeCount > 1)
                        {
                            // Duplicated type: parsers disagree on which wins (see IsValidClientEvent).
                            return default;
                        }

                        // TokenStartIndex of a string is its opening quote.
                        typeOffset = (int)reader.TokenStartIndex + 1;
                        typeLength = reader.ValueSpan.Length;
                        typeIsEscaped = reader.ValueIsEscaped;
                        kind = Classify(ref reader);
                        break;

                    case TopLevelProperty.Audio when reader.TokenType == JsonTokenType.String:
                        audioBytes += DecodedLengthUpperBound(reader.ValueSpan, reader.ValueIsEscaped);
                        break;

                    case TopLevelProperty.Item when reader.TokenType == JsonTokenType.StartObject:
                        hasSystemRole |= ItemHasSystemRole(ref reader);
                        break;

                    default:
                        reader.Skip(); // No-op on a primitive value.
                        break;
                }
            }

            // The root's EndObject is the current token. With the whole frame as the final block,
            // the next Read is false when only whitespace follows and throws on anything else.
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read() || typeCount != 1)
            {
                return default;
            }
        }
        catch (JsonException)
        {
            return default;
        }

        return new ClientEventInspection(
            kind,
            typeOffset,
            typeLength,
            typeIsEscaped,
            kind == ClientEventKind.InputAudioBufferAppend ? (int)Math.Min(audioBytes, int.MaxValue) : 0,
            kind == ClientEventKind.ConversationItemCreate && hasSystemRole);
    }

    /// <summary>
    /// Decoded size of a base64 value from its length: 3 bytes per 4 characters, less the trailing
    /// <c>=</c> padding. An escaped value is measured raw, which only over-counts.
    /// </summary>
    internal static long DecodedLengthUpperBound(ReadOnlySpan<byte> rawBase64, bool isEscaped)
    {
        long characters = rawBase64.Length;
        if (!isEscaped)
        {
            for (var i = rawBase64.Length - 1; i >= 0 && i >= rawBase64.Length - 2 && rawBase64[i] == (byte)'='; i--)
            {
                characters--;
            }
        }

        return characters * 3 / 4;
    }

    // A name or value holding an escaped lone surrogate cannot be decoded, so it equals no name
    // the bridge looks for (the reader throws when it has to decode one to compare).
    private static bool TextEquals(ref Utf8JsonReader reader, ReadOnlySpan<byte> text)
    {
        try
        {
            return reader.ValueTextEquals(text);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static ClientEventKind Classify(ref Utf8JsonReader reader)
    {
        if (TextEquals(ref reader, RealtimeEventTypes.InputAudioBufferAppend))
        {
            return ClientEventKind.InputAudioBufferAppend;
        }

        if (TextEquals(ref reader, RealtimeEventTypes.SessionUpdate))
        {
            return ClientEventKind.SessionUpdate;
        }

        return TextEquals(ref reader, RealtimeEventTypes.ConversationItemCreate) ? ClientEventKind.ConversationItemCreate : ClientEventKind.Other;
    }

    // The reader is on the item's StartObject; leaves it on the matching EndObject. Only the
    // item's own properties count: a role deeper down (content parts, metadata) is not the item's.
    private static bool ItemHasSystemRole(ref Utf8JsonReader reader)
    {
        var found = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRole = TextEquals(ref reader, RoleName);
            reader.Read();
            if (isRole && reader.TokenType == JsonTokenType.String && TextEquals(ref reader, SystemRole))
            {
                found = true;
            }
            else
            {
                reader.Skip();
            }
        }

        return found;
    }

    private enum TopLevelProperty
    {
        Other,
        Type,
        Audio,
        Item,
    }
}
