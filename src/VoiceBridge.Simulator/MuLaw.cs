using System.Buffers.Binary;
using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>
/// G.711 µ-law at 8 kHz (<c>audio/pcmu</c>, beta <c>g711_ulaw</c>) at the simulator's edge: it works on PCM16 24 kHz
/// inside, so µ-law input is expanded (each sample three times) and µ-law output is every third sample, compressed.
/// </summary>
public static class MuLaw
{
    /// <summary>One µ-law byte stands for this many PCM16 24 kHz bytes (3 samples × 2 bytes).</summary>
    public const int PcmBytesPerByte = 6;

    private const int Bias = 0x84;
    private const int Clip = 32635;

    /// <summary>Whether a session's format value (GA object or beta string) is µ-law.</summary>
    public static bool IsMuLaw(JsonNode? format) => format switch
    {
        JsonObject o => (string?)o["type"] == "audio/pcmu",
        JsonValue v => v.TryGetValue<string>(out var s) && s == "g711_ulaw",
        _ => false,
    };

    public static byte Encode(short sample)
    {
        var pcm = (int)sample;
        var sign = (pcm >> 8) & 0x80;
        if (sign != 0)
        {
            pcm = -pcm;
        }

        pcm = Math.Min(pcm, Clip) + Bias;
        var exponent = 7;
        for (var mask = 0x4000; (pcm & mask) == 0 && exponent > 0; mask >>= 1)
        {
            exponent--;
        }

        var mantissa = (pcm >> (exponent + 3)) & 0x0F;
        return (byte)~(sign | (exponent << 4) | mantissa);
    }

    public static short Decode(byte value)
    {
        var u = ~value & 0xFF;
        var t = ((u & 0x0F) << 3) + Bias;
        t <<= (u & 0x70) >> 4;
        return (short)((u & 0x80) != 0 ? Bias - t : t - Bias);
    }

    /// <summary>µ-law 8 kHz to PCM16 little-endian 24 kHz.</summary>
    public static byte[] ToPcm24k(ReadOnlySpan<byte> muLaw)
    {
        var pcm = new byte[muLaw.Length * PcmBytesPerByte];
        for (var i = 0; i < muLaw.Length; i++)
        {
            var sample = Decode(muLaw[i]);
            for (var k = 0; k < 3; k++)
            {
                BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan((i * 3 + k) * 2), sample);
            }
        }

        return pcm;
    }

    /// <summary>PCM16 little-endian 24 kHz to µ-law 8 kHz (every third sample).</summary>
    public static byte[] FromPcm24k(ReadOnlySpan<byte> pcm)
    {
        var muLaw = new byte[pcm.Length / PcmBytesPerByte];
        for (var i = 0; i < muLaw.Length; i++)
        {
            muLaw[i] = Encode(BinaryPrimitives.ReadInt16LittleEndian(pcm.Slice(i * PcmBytesPerByte, 2)));
        }

        return muLaw;
    }

    /// <summary>PCM16 little-endian at any rate to µ-law, sample for sample (for fixtures already at 8 kHz).</summary>
    public static byte[] FromPcm16(ReadOnlySpan<byte> pcm)
    {
        var muLaw = new byte[pcm.Length / 2];
        for (var i = 0; i < muLaw.Length; i++)
        {
            muLaw[i] = Encode(BinaryPrimitives.ReadInt16LittleEndian(pcm.Slice(i * 2, 2)));
        }

        return muLaw;
    }
}
