namespace VoiceBridge.Sessions;

/// <summary>
/// A session as the admin API and the closing log line describe it. <c>In</c> is from the browser, <c>Out</c> to it.
/// </summary>
internal sealed record SessionSummary(
    string Id,
    string ClientAddress,
    string? Subject,
    DateTimeOffset StartedAt,
    string State,
    long FramesIn,
    long FramesOut,
    long BytesIn,
    long BytesOut,
    double DurationSeconds,
    double AudioSecondsIn,
    double AudioSecondsOut,
    long Responses,
    SessionTokens Tokens,
    SessionFirstAudio FirstAudio,
    string? EndedBy,
    string? Reason,
    int? CloseCode,
    int UpstreamConnections = 0,
    IReadOnlyList<VoiceBridge.Tools.ToolCallRecord>? ToolCalls = null,
    string Channel = Telephony.TwilioCall.BrowserChannel,
    string? CallSid = null)
{
    public static SessionSummary Of(BridgeSession session)
    {
        var stats = session.Statistics;
        var (turns, p50, max) = stats.FirstAudio();
        var outcome = session.Outcome;

        // A phone call's audio is µ-law at 8 kHz (8,000 bytes a second), a browser's PCM16 at 24 kHz.
        var audioBytesPerSecond = session.Call is null ? SessionStatistics.AudioBytesPerSecond : Telephony.TwilioPlayback.BytesPerMs * 1000.0;
        return new SessionSummary(
            session.Id,
            session.ClientAddress,
            session.Subject,
            session.StartedAt,
            session.StateName,
            stats.FramesIn,
            stats.FramesOut,
            stats.BytesIn,
            stats.BytesOut,
            Math.Round(session.Elapsed.TotalSeconds, 3),
            Math.Round(stats.AudioBytesIn / audioBytesPerSecond, 3),
            Math.Round(stats.AudioBytesOut / audioBytesPerSecond, 3),
            stats.Responses,
            new SessionTokens(stats.InputTokens, stats.OutputTokens, stats.InputAudioTokens, stats.OutputAudioTokens, stats.CachedTokens),
            new SessionFirstAudio(turns, p50, max),
            outcome?.EndedBy.ToString(),
            outcome?.Reason,
            outcome?.BrowserCloseStatus is { } status ? (int)status : null,
            session.UpstreamConnections,
            session.Tools?.Records ?? [],
            session.Channel,
            session.Call?.CallSid);
    }
}

internal sealed record SessionTokens(long Input, long Output, long InputAudio, long OutputAudio, long Cached);

/// <summary>Time from the end of each caller turn to the first audio sent back: how many turns, median and worst.</summary>
internal sealed record SessionFirstAudio(int Turns, double? P50Ms, double? MaxMs);
