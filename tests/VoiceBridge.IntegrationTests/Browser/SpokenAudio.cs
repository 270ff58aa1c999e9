using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>
/// Real speech for the fake microphone, made at test time with espeak-ng (22,050 Hz mono PCM16), and the measures
/// both ends of a call are compared with: where the speech is and how loud it is.
/// </summary>
internal sealed class SpokenAudio
{
    public const string EspeakPath = "/usr/bin/espeak-ng";

    private SpokenAudio(short[] samples, int sampleRate)
    {
        Samples = samples;
        SampleRate = sampleRate;
    }

    public short[] Samples { get; }

    public int SampleRate { get; }

    public double DurationMs => Samples.Length * 1000.0 / SampleRate;

    public static async Task<SpokenAudio> SpeakAsync(string text, CancellationToken cancellationToken)
    {
        if (!File.Exists(EspeakPath))
        {
            Assert.Fail($"{EspeakPath} is missing: the browser tests speak with espeak-ng. Run `bash scripts/test.sh`, which installs it (apt-get install -y espeak-ng).");
        }

        var path = Path.Combine(Path.GetTempPath(), $"voicebridge-speech-{Guid.NewGuid():N}.wav");
        try
        {
            var start = new ProcessStartInfo(EspeakPath) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "-v", "en-us", "-s", "150", "-w", path, text })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var stderr = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            Assert.True(process.ExitCode == 0, $"espeak-ng failed ({process.ExitCode}): {stderr}");
            return Read(await File.ReadAllBytesAsync(path, cancellationToken));
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static SpokenAudio Silence(int ms, int sampleRate) => new(new short[ms * sampleRate / 1000], sampleRate);

    public static SpokenAudio Concat(params SpokenAudio[] parts)
    {
        var rate = parts[0].SampleRate;
        Assert.All(parts, p => Assert.Equal(rate, p.SampleRate));
        return new SpokenAudio([.. parts.SelectMany(p => p.Samples)], rate);
    }

    public static SpokenAudio FromPcm16(ReadOnlySpan<byte> pcm, int sampleRate)
    {
        var samples = new short[pcm.Length / 2];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(pcm[(i * 2)..]);
        }

        return new SpokenAudio(samples, sampleRate);
    }

    /// <summary>A canonical 44-byte-header WAV file, as Chromium's fake capture device reads it.</summary>
    public void WriteWav(string path)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream, Encoding.ASCII);
        var dataBytes = Samples.Length * 2;
        writer.Write("RIFF"u8);
        writer.Write(36 + dataBytes);
        writer.Write("WAVEfmt "u8);
        writer.Write(16);
        writer.Write((short)1); // PCM
        writer.Write((short)1); // mono
        writer.Write(SampleRate);
        writer.Write(SampleRate * 2);
        writer.Write((short)2);
        writer.Write((short)16);
        writer.Write("data"u8);
        writer.Write(dataBytes);
        foreach (var sample in Samples)
        {
            writer.Write(sample);
        }
    }

    /// <summary>
    /// Where the speech is: from the first to the last 20 ms window whose RMS reaches a tenth of the loudest
    /// window's (and 0.005 of full scale), with the RMS inside that span and outside it.
    /// </summary>
    public SpeechSpan FindSpeech()
    {
        var window = SampleRate / 50;
        var levels = new List<double>();
        for (var start = 0; start + window <= Samples.Length; start += window)
        {
            levels.Add(Rms(start, window));
        }

        var loudest = levels.Count == 0 ? 0 : levels.Max();
        var threshold = Math.Max(0.005, loudest / 10);
        var first = levels.FindIndex(l => l >= threshold);
        var last = levels.FindLastIndex(l => l >= threshold);
        if (first < 0)
        {
            return new SpeechSpan(0, 0, 0, Rms(0, Samples.Length));
        }

        var spanStart = first * window;
        var spanEnd = (last + 1) * window;
        var inside = Rms(spanStart, spanEnd - spanStart);
        var outsideSquares = SumSquares(0, spanStart) + SumSquares(spanEnd, Samples.Length - spanEnd);
        var outsideCount = spanStart + (Samples.Length - spanEnd);
        var outside = outsideCount == 0 ? 0 : Math.Sqrt(outsideSquares / outsideCount) / 32768.0;
        return new SpeechSpan(spanStart * 1000.0 / SampleRate, spanEnd * 1000.0 / SampleRate, inside, outside);
    }

    private static SpokenAudio Read(byte[] wav)
    {
        Assert.True(wav.Length > 44 && wav.AsSpan(0, 4).SequenceEqual("RIFF"u8) && wav.AsSpan(8, 4).SequenceEqual("WAVE"u8), "espeak-ng did not write a WAV file");
        var sampleRate = 0;
        var offset = 12;
        while (offset + 8 <= wav.Length)
        {
            var id = Encoding.ASCII.GetString(wav, offset, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 4));
            var body = offset + 8;
            if (id == "fmt ")
            {
                Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(body + 2))); // mono
                Assert.Equal(16, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(body + 14))); // 16-bit
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(body + 4));
            }
            else if (id == "data")
            {
                // espeak-ng may leave the size as a placeholder when it streams: take what the file holds.
                var length = size <= 0 || body + size > wav.Length ? wav.Length - body : size;
                return FromPcm16(wav.AsSpan(body, length & ~1), sampleRate);
            }

            offset = body + size + (size & 1);
        }

        Assert.Fail("espeak-ng's WAV file has no data chunk");
        return null!;
    }

    private double Rms(int start, int count) => count <= 0 ? 0 : Math.Sqrt(SumSquares(start, count) / count) / 32768.0;

    private double SumSquares(int start, int count)
    {
        double sum = 0;
        for (var i = start; i < start + count; i++)
        {
            sum += (double)Samples[i] * Samples[i];
        }

        return sum;
    }
}

/// <summary>Speech from <see cref="StartMs"/> to <see cref="EndMs"/>; RMS levels as fractions of full scale.</summary>
internal sealed record SpeechSpan(double StartMs, double EndMs, double SpeechRms, double OutsideRms)
{
    public double DurationMs => EndMs - StartMs;
}
