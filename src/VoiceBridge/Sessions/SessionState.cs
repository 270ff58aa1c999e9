namespace VoiceBridge.Sessions;

internal enum SessionState
{
    Connecting,
    Open,
    Closing,
}
