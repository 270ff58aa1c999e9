using System.Text.Json;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The <c>response.usage</c> of a Realtime <c>response.done</c> event. Cached tokens are a subset of the
/// input tokens (billed at a lower rate), not an addition to them.
/// </summary>
internal readonly record struct TokenUsage(
    long InputTokens,
    long OutputTokens,
    long InputTextTokens,
    long InputAudioTokens,
    long InputImageTokens,
    long InputCachedTokens,
    long OutputTextTokens,
    long OutputAudioTokens)
{
    /// <summary>
    /// Reads <c>response.usage</c> from a whole <c>response.done</c> event without allocating. False when the
    /// event has no usage object (<c>"usage": null</c>, absent) or is not valid JSON; never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> responseDoneJson, out TokenUsage usage)
    {
        usage = default;
        try
        {
            var reader = new Utf8JsonReader(responseDoneJson, new JsonReaderOptions { MaxDepth = 64 });
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && MoveToObjectProperty(ref reader, "response"u8)
                && MoveToObjectProperty(ref reader, "usage"u8)
                && TryReadUsage(ref reader, out usage);
        }
        catch (JsonException)
        {
            usage = default;
            return false;
        }
    }

    /// <summary>
    /// With the reader on an object's start, advances to the start of the object-valued property
    /// <paramref name="name"/> among its direct members, skipping everything else.
    /// </summary>
    private static bool MoveToObjectProperty(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueTextEquals(name);
            if (!reader.Read())
            {
                return false;
            }

            if (match && reader.TokenType == JsonTokenType.StartObject)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>
    /// Reads an <c>input_token_details</c> or <c>output_token_details</c> object (the reader is on its name); a value
    /// that is not an object is skipped and counts as zeros.
    /// </summary>
    private static void ReadDetails(ref Utf8JsonReader reader, out long text, out long audio, out long image, out long cached)
    {
        text = audio = image = cached = 0;
        reader.Read();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("text_tokens"u8))
            {
                text = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("audio_tokens"u8))
            {
                audio = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("image_tokens"u8))
            {
                image = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("cached_tokens"u8))
            {
                cached = ReadCount(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static bool TryReadUsage(ref Utf8JsonReader reader, out TokenUsage usage)
    {
        long input = 0, output = 0, inputText = 0, inputAudio = 0, inputImage = 0, cached = 0, outputText = 0, outputAudio = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("input_tokens"u8))
            {
                input = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("output_tokens"u8))
            {
                output = ReadCount(ref reader);
            }
            else if (reader.ValueTextEquals("input_token_details"u8))
            {
                ReadDetails(ref reader, out inputText, out inputAudio, out inputImage, out cached);
            }
            else if (reader.ValueTextEquals("output_token_details"u8))
            {
                ReadDetails(ref reader, out outputText, out outputAudio, out _, out _);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        usage = new TokenUsage(input, output, inputText, inputAudio, inputImage, cached, outputText, outputAudio);
        return true;
    }

    /// <summary>Reads the value after a property name as a non-negative count; anything else counts as 0.</summary>
    private static long ReadCount(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) && value >= 0)
        {
            return value;
        }

        reader.Skip();
        return 0;
    }
}
