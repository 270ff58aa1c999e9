using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class VoiceActivityDetectorTests
{
    private static readonly VadSettings Default = new(0.5, 300, 500, true, true);

    [Theory]
    [InlineData(-30.0, 0.5, true)]   // above -32 dBFS RMS
    [InlineData(-35.0, 0.5, false)]  // below it
    [InlineData(-40.0, 0.1, true)]   // a low threshold (-46 dBFS) hears quieter speech
    [InlineData(-28.0, 1.0, false)]  // the highest threshold (-26 dBFS) needs loud speech
    public void IsSpeech_ToneAtLevel_MatchesThresholdMapping(double rmsDbfs, double threshold, bool expected)
    {
        // A sine's RMS is its amplitude / sqrt(2).
        var amplitude = Math.Pow(10, rmsDbfs / 20) * Math.Sqrt(2);

        Assert.Equal(expected, VoiceActivityDetector.IsSpeech(Pcm.Tone(20, amplitude), threshold));
    }

    [Fact]
    public void Process_SpeechThenSilence_StartsThenStopsAfterSilenceDuration()
    {
        var vad = new VoiceActivityDetector();
        var speech = Pcm.Tone(20);
        var quiet = Pcm.Silence(20);

        Assert.Equal(VadTransition.SpeechStarted, vad.Process(speech, Default));
        Assert.Equal(VadTransition.None, vad.Process(speech, Default));
        var transitions = Enumerable.Range(0, 25).Select(_ => vad.Process(quiet, Default)).ToList();

        Assert.All(transitions.Take(24), t => Assert.Equal(VadTransition.None, t));
        Assert.Equal(VadTransition.SpeechStopped, transitions[^1]);
        Assert.False(vad.InSpeech);
    }

    [Theory]
    [InlineData(60 * 60_000, "60 minutes")]
    [InlineData(60_000, "1 minute")]
    [InlineData(90_000, "90 seconds")]
    [InlineData(300, "300 milliseconds")]
    public void FormatDuration_Limit_ReadsNaturally(int milliseconds, string expected) =>
        Assert.Equal(expected, SimulatorSession.FormatDuration(TimeSpan.FromMilliseconds(milliseconds)));
}
