using System.Diagnostics;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>
/// What a caller says, as Twilio would carry it: speech made with espeak-ng, converted by sox to raw µ-law 8 kHz mono
/// (G.711 as the phone network encodes it; the bridge's own µ-law code has no part in making it).
/// </summary>
internal static class CallerAudio
{
    public const string EspeakPath = "/usr/bin/espeak-ng";
    public const string SoxPath = "/usr/bin/sox";

    public static async Task<byte[]> SpeakAsync(string text, CancellationToken cancellationToken)
    {
        foreach (var tool in new[] { EspeakPath, SoxPath })
        {
            if (!File.Exists(tool))
            {
                Assert.Fail($"{tool} is missing: the phone tests make the caller's audio with espeak-ng and sox. Run `bash scripts/test.sh`, which installs them.");
            }
        }

        var wav = Path.Combine(Path.GetTempPath(), $"voicebridge-caller-{Guid.NewGuid():N}.wav");
        var ulaw = Path.ChangeExtension(wav, ".ul");
        try
        {
            await RunAsync(EspeakPath, ["-v", "en-us", "-s", "150", "-w", wav, text], cancellationToken);
            await RunAsync(SoxPath, [wav, "-t", "raw", "-r", "8000", "-e", "u-law", "-b", "8", "-c", "1", ulaw], cancellationToken);
            return await File.ReadAllBytesAsync(ulaw, cancellationToken);
        }
        finally
        {
            File.Delete(wav);
            File.Delete(ulaw);
        }
    }

    private static async Task RunAsync(string path, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(path)} failed ({process.ExitCode}): {await stderr}");
    }
}
