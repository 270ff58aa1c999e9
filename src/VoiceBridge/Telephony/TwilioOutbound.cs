using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace VoiceBridge.Telephony;

/// <summary>Writes the messages the bridge sends Twilio on one stream: <c>media</c>, <c>mark</c> and <c>clear</c>.</summary>
internal sealed class TwilioOutbound
{
    /// <summary>20 ms of µ-law at 8 kHz: every media message but a response's last is exactly this long.</summary>
    public const int ChunkBytes = 160;

    private readonly byte[] _mediaPrefix;
    private readonly byte[] _markPrefix;
    private readonly byte[] _clear;
    private readonly byte[] _buffer;

    public TwilioOutbound(string streamSid)
    {
        var sid = Encoding.UTF8.GetString(JsonEncodedText.Encode(streamSid).EncodedUtf8Bytes);
        _mediaPrefix = Encoding.UTF8.GetBytes("{\"event\":\"media\",\"streamSid\":\"" + sid + "\",\"media\":{\"payload\":\"");
        _markPrefix = Encoding.UTF8.GetBytes("{\"event\":\"mark\",\"streamSid\":\"" + sid + "\",\"mark\":{\"name\":\"");
        _clear = Encoding.UTF8.GetBytes("{\"event\":\"clear\",\"streamSid\":\"" + sid + "\"}");
        _buffer = new byte[Math.Max(_mediaPrefix.Length, _markPrefix.Length) + Base64.GetMaxEncodedToUtf8Length(ChunkBytes) + 64];
    }

    public ReadOnlyMemory<byte> Clear => _clear;

    /// <summary>A media message for at most <see cref="ChunkBytes"/> of µ-law; valid until the next call.</summary>
    public ReadOnlyMemory<byte> Media(ReadOnlySpan<byte> muLaw)
    {
        _mediaPrefix.CopyTo(_buffer, 0);
        var at = _mediaPrefix.Length;
        Base64.EncodeToUtf8(muLaw, _buffer.AsSpan(at), out _, out var written);
        at += written;
        "\"}}"u8.CopyTo(_buffer.AsSpan(at));
        return _buffer.AsMemory(0, at + 3);
    }

    /// <summary>A mark message (names are the bridge's own: short, plain ASCII); valid until the next call.</summary>
    public ReadOnlyMemory<byte> Mark(string name)
    {
        _markPrefix.CopyTo(_buffer, 0);
        var at = _markPrefix.Length + Encoding.ASCII.GetBytes(name, _buffer.AsSpan(_markPrefix.Length));
        "\"}}"u8.CopyTo(_buffer.AsSpan(at));
        return _buffer.AsMemory(0, at + 3);
    }
}
