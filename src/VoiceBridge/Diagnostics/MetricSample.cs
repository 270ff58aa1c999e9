namespace VoiceBridge.Diagnostics;

/// <summary>
/// One series of a family at scrape time: its labels and value, or for a histogram the bucket counts.
/// </summary>
internal sealed record MetricSample(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, HistogramValue? Histogram = null)
{
    public static readonly IReadOnlyList<KeyValuePair<string, string>> NoLabels = [];
}
