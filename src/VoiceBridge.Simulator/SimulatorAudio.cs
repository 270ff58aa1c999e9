using System.Buffers.Binary;

namespace VoiceBridge.Simulator;

/// <summary>PCM16 mono 24 kHz facts and the tone the simulator speaks when it has nothing to echo.</summary>
internal static class SimulatorAudio
{
    public const int SampleRate = 24_000;
    public const int BytesPerMs = SampleRate * 2 / 1000;

    /// <summary>The service refuses to commit less than 100 ms.</summary>
    public const int MinimumCommitBytes = 100 * BytesPerMs;

    /// <summary>About one second of a quiet 440 Hz tone (−20 dBFS peak), faded in and out so it does not click.</summary>
    public static ReadOnlyMemory<byte> Tone { get; } = CreateTone(440, 1000, 0.1);

    public static double ToMilliseconds(long bytes) => bytes / (double)BytesPerMs;

    public static byte[] CreateTone(double frequency, int durationMs, double amplitude)
    {
        var samples = durationMs * SampleRate / 1000;
        var fade = SampleRate / 100;
        var pcm = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            var envelope = Math.Min(1.0, Math.Min(i, samples - 1 - i) / (double)fade);
            var value = amplitude * envelope * Math.Sin(2 * Math.PI * frequency * i / SampleRate);
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 2), (short)Math.Round(value * short.MaxValue));
        }

        return pcm;
    }
}
