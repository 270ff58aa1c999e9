namespace VoiceBridge.Realtime.Simulator;

internal enum VadTransition
{
    None,
    SpeechStarted,
    SpeechStopped,
}
