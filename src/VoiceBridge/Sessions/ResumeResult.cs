namespace VoiceBridge.Sessions;

/// <summary>What became of a resume once its token was claimed.</summary>
internal enum ResumeResult
{
    /// <summary>The session ended before the new socket could be accepted: nothing was upgraded.</summary>
    SessionGone,

    /// <summary>The new socket was attached and has since ended (detached again, replaced, or closed with the session).</summary>
    Attached,
}
