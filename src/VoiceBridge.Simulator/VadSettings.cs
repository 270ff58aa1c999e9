namespace VoiceBridge.Simulator;

/// <summary>The effective turn detection of a session (<c>audio.input.turn_detection</c>, beta <c>turn_detection</c>).</summary>
internal sealed record VadSettings(
    double Threshold,
    int PrefixPaddingMs,
    int SilenceDurationMs,
    bool CreateResponse,
    bool InterruptResponse);
