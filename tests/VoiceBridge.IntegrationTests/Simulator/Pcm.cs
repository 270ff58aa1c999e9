using System.Buffers.Binary;

namespace VoiceBridge.IntegrationTests.Simulator;

/// <summary>PCM16 mono 24 kHz test signals.</summary>
internal static class Pcm
{
    public static byte[] Tone(int ms, double amplitude = 0.3, double frequency = 440)
    {
        var samples = ms * 24;
        var pcm = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var value = amplitude * Math.Sin(2 * Math.PI * frequency * i / 24_000);
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 2), (short)(value * short.MaxValue));
        }

        return pcm;
    }

    public static byte[] Silence(int ms) => new byte[ms * 48];

    /// <summary>Distinct, non-periodic bytes, so an echo can be compared byte for byte.</summary>
    public static byte[] Noise(int ms, int seed)
    {
        var pcm = new byte[ms * 48];
        new Random(seed).NextBytes(pcm);
        return pcm;
    }
}
