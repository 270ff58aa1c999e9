using System.Buffers.Binary;

namespace VoiceBridge.Simulator;

/// <summary>
/// Energy VAD over PCM16 in 20 ms windows, standing in for the service's model-based server VAD.
/// </summary>
/// <remarks>
/// The session's <c>threshold</c> (0–1) maps to an RMS level: a window is speech when
/// <c>RMS / 32768 &gt;= threshold × 0.05</c>. So the default 0.5 means RMS ≥ 0.025 of full scale (≈ −32 dBFS),
/// 1.0 means ≈ −26 dBFS and 0.1 means ≈ −46 dBFS; digital silence and low hiss never count.
/// Speech ends once <c>silence_duration_ms</c> of consecutive quiet windows have been seen.
/// </remarks>
internal sealed class VoiceActivityDetector
{
    public const int WindowMs = 20;
    public const int WindowBytes = WindowMs * SimulatorAudio.BytesPerMs;

    /// <summary>Full-scale RMS per unit of <c>threshold</c>.</summary>
    public const double RmsPerThresholdUnit = 0.05;

    private int _quietMs;

    public bool InSpeech { get; private set; }

    public VadTransition Process(ReadOnlySpan<byte> window, VadSettings settings)
    {
        var speech = IsSpeech(window, settings.Threshold);
        if (!InSpeech)
        {
            if (!speech)
            {
                return VadTransition.None;
            }

            InSpeech = true;
            _quietMs = 0;
            return VadTransition.SpeechStarted;
        }

        if (speech)
        {
            _quietMs = 0;
            return VadTransition.None;
        }

        _quietMs += WindowMs;
        if (_quietMs < settings.SilenceDurationMs)
        {
            return VadTransition.None;
        }

        Reset();
        return VadTransition.SpeechStopped;
    }

    public void Reset()
    {
        InSpeech = false;
        _quietMs = 0;
    }

    public static bool IsSpeech(ReadOnlySpan<byte> pcm16, double threshold) => Rms(pcm16) >= threshold * RmsPerThresholdUnit;

    /// <summary>Root mean square of little-endian PCM16 samples, as a fraction of full scale (0–1).</summary>
    public static double Rms(ReadOnlySpan<byte> pcm16)
    {
        var samples = pcm16.Length / 2;
        if (samples == 0)
        {
            return 0;
        }

        double sum = 0;
        for (var i = 0; i < samples; i++)
        {
            double sample = BinaryPrimitives.ReadInt16LittleEndian(pcm16.Slice(i * 2, 2));
            sum += sample * sample;
        }

        return Math.Sqrt(sum / samples) / 32768.0;
    }
}
