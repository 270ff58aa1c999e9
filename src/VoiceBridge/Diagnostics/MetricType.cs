namespace VoiceBridge.Diagnostics;

/// <summary>The Prometheus metric types this bridge exposes.</summary>
internal enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}
