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
    int? CloseCode);

internal sealed record SessionTokens(long Input, long Output, long InputAudio, long OutputAudio, long Cached);

/// <summary>Time from the end of each caller turn to the first audio sent back: how many turns, median and worst.</summary>
internal sealed record SessionFirstAudio(int Turns, double? P50Ms, double? MaxMs);
