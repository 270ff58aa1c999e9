using System.Diagnostics;

namespace VoiceBridge.Bench;

/// <summary>Percentiles (milliseconds) of a set of durations in Stopwatch ticks, nearest-rank.</summary>
internal sealed record LatencyStats(int Count, double P50, double P99, double P999, double Max, double Mean)
{
    public static readonly LatencyStats Empty = new(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);

    public static LatencyStats From(List<long> ticks)
    {
        if (ticks.Count == 0)
        {
            return Empty;
        }

        ticks.Sort();
        double Ms(long t) => t * 1000.0 / Stopwatch.Frequency;
        double At(double q) => Ms(ticks[Math.Clamp((int)Math.Ceiling(q * ticks.Count) - 1, 0, ticks.Count - 1)]);
        return new LatencyStats(ticks.Count, At(0.50), At(0.99), At(0.999), Ms(ticks[^1]), ticks.Average(t => Ms(t)));
    }

    public static LatencyStats FromTimeSpans(IEnumerable<TimeSpan> spans) =>
        From(spans.Select(s => (long)(s.TotalSeconds * Stopwatch.Frequency)).ToList());
}
