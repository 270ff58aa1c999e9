namespace VoiceBridge.Sessions;

/// <summary>Who ended a session first.</summary>
internal enum SessionSide
{
    Browser,
    Upstream,
    Bridge,
}
