namespace VoiceBridge.Diagnostics;

/// <summary>
/// A histogram series: <see cref="CumulativeCounts"/>[i] counts observations ≤ <see cref="UpperBounds"/>[i]; it has
/// one more element than the bounds, the <c>+Inf</c> bucket, which is also the count.
/// </summary>
internal sealed record HistogramValue(IReadOnlyList<double> UpperBounds, IReadOnlyList<long> CumulativeCounts, double Sum)
{
    public long Count => CumulativeCounts[^1];
}
