using System.Buffers.Binary;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>PCM16 mono 24 kHz signals for conversations: 48 bytes per millisecond, 960 bytes per 20 ms frame.</summary>
internal static class TestAudio
{
    public const int BytesPerMs = 48;
    public const int FrameBytes = 20 * BytesPerMs;

    /// <summary>
    /// Speech as the simulator's energy VAD sees it (RMS ≈ 0.2 of full scale, far above its 0.025 default), from the
    /// first sample on; a seeded jitter makes every signal distinct so an echo can be compared byte for byte.
    /// </summary>
    public static byte[] Voiced(int ms, int seed)
    {
        var random = new Random(seed);
        var frequency = 180 + (seed % 40) * 7;
        var samples = ms * BytesPerMs / 2;
        var pcm = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var value = (0.3 * Math.Sin(2 * Math.PI * frequency * i / 24_000)) + (0.02 * ((random.NextDouble() * 2) - 1));
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 2), (short)(value * short.MaxValue));
        }

        return pcm;
    }

    public static byte[] Silence(int ms) => new byte[ms * BytesPerMs];

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>The signal cut into browser-sized frames (the last one may be shorter; all stay even-length).</summary>
    public static IEnumerable<byte[]> Frames(byte[] pcm, int frameBytes = FrameBytes)
    {
        for (var offset = 0; offset < pcm.Length; offset += frameBytes)
        {
            yield return pcm[offset..Math.Min(offset + frameBytes, pcm.Length)];
        }
    }

    public static byte[] Slice(byte[] pcm, long fromMs, long toMs) => pcm[(int)(fromMs * BytesPerMs)..(int)(toMs * BytesPerMs)];
}
