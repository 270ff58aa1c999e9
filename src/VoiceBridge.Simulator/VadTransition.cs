namespace VoiceBridge.Simulator;

internal enum VadTransition
{
    None,
    SpeechStarted,
    SpeechStopped,
}
