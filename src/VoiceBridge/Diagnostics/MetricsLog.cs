namespace VoiceBridge.Diagnostics;

/// <summary>The metrics endpoint's log lines: scrapes are routine, so Debug, like health probes.</summary>
internal static partial class MetricsLog
{
    [LoggerMessage(80, LogLevel.Debug, "Metrics scrape answered {StatusCode} in {ElapsedMs:0.0} ms")]
    public static partial void Scraped(ILogger logger, int statusCode, double elapsedMs);

    [LoggerMessage(81, LogLevel.Debug, "Metrics scrape refused: missing or wrong bearer key")]
    public static partial void Refused(ILogger logger);
}
