using System.Text.Json;

namespace VoiceBridge.Telephony;

internal enum TwilioEvent : byte
{
    Other,
    Connected,
    Start,
    Media,
    Mark,
    Dtmf,
    Stop,
}

/// <summary>
/// One message from Twilio's Media Streams socket, read in one pass with no copy of the audio: a <c>media</c>
/// message's payload is located (<see cref="PayloadStart"/>, <see cref="PayloadLength"/>) in the message's own bytes,
/// so its base64 goes upstream exactly as Twilio sent it.
/// </summary>
/// <param name="EscapedPayload">The payload, unescaped, in the rare case its JSON string had escapes (<c>\/</c>, <c>\u002B</c>).</param>
internal readonly record struct TwilioInbound(TwilioEvent Event, int PayloadStart, int PayloadLength, bool InboundTrack, string? Name, byte[]? EscapedPayload = null)
{
    /// <summary>The base64 payload of a media message.</summary>
    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> message) => EscapedPayload ?? message.Slice(PayloadStart, PayloadLength);

    /// <summary>Reads <paramref name="json"/>; anything that is not a JSON object gives <see cref="TwilioEvent.Other"/>.</summary>
    public static TwilioInbound Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return ParseCore(json);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static TwilioInbound ParseCore(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return default;
        }

        var kind = TwilioEvent.Other;
        int payloadStart = -1, payloadLength = 0;
        var inbound = true;
        string? name = null;
        byte[]? escaped = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("event"u8))
            {
                reader.Read();
                kind = reader.TokenType != JsonTokenType.String ? TwilioEvent.Other
                    : reader.ValueTextEquals("media"u8) ? TwilioEvent.Media
                    : reader.ValueTextEquals("mark"u8) ? TwilioEvent.Mark
                    : reader.ValueTextEquals("dtmf"u8) ? TwilioEvent.Dtmf
                    : reader.ValueTextEquals("stop"u8) ? TwilioEvent.Stop
                    : reader.ValueTextEquals("start"u8) ? TwilioEvent.Start
                    : reader.ValueTextEquals("connected"u8) ? TwilioEvent.Connected
                    : TwilioEvent.Other;
            }
            else if (reader.ValueTextEquals("media"u8) || reader.ValueTextEquals("mark"u8) || reader.ValueTextEquals("dtmf"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("payload"u8))
                    {
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            payloadStart = (int)reader.TokenStartIndex + 1;
                            payloadLength = reader.ValueSpan.Length;
                            if (reader.ValueIsEscaped)
                            {
                                escaped = new byte[payloadLength];
                                escaped = escaped[..reader.CopyString(escaped)];
                            }
                        }
                    }
                    else if (reader.ValueTextEquals("track"u8))
                    {
                        reader.Read();
                        inbound = reader.TokenType != JsonTokenType.String || reader.ValueTextEquals("inbound"u8) || reader.ValueTextEquals("inbound_track"u8);
                    }
                    else if (reader.ValueTextEquals("name"u8) || reader.ValueTextEquals("digit"u8))
                    {
                        reader.Read();
                        name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    }
                    else
                    {
                        reader.Read();
                        reader.Skip();
                    }
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (kind == TwilioEvent.Media && payloadStart < 0)
        {
            return default;
        }

        return new TwilioInbound(kind, payloadStart, payloadLength, inbound, name, escaped);
    }
}
