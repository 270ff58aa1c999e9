namespace VoiceBridge.Sessions;

/// <summary>The <c>outcome</c> values of <c>voicebridge_resumes_total</c>.</summary>
internal static class ResumeOutcome
{
    /// <summary>A new socket re-attached a session.</summary>
    public const string Resumed = "resumed";

    /// <summary>A resume presented an unknown, spent or expired token (404).</summary>
    public const string NotFound = "not_found";

    /// <summary>A resume carried a token of another subject (403).</summary>
    public const string Forbidden = "forbidden";

    /// <summary>A detached session was not resumed within the window.</summary>
    public const string Expired = "expired";

    /// <summary>A detached session's kept events outgrew the buffer.</summary>
    public const string Overflow = "overflow";

    /// <summary>A detached session ended for another reason (limits, the upstream, an operator, shutdown).</summary>
    public const string Ended = "ended";
}
