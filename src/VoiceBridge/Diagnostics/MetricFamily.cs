namespace VoiceBridge.Diagnostics;

/// <summary>One metric name with its help text, type and every series: what one HELP/TYPE block describes.</summary>
internal sealed record MetricFamily(string Name, string Help, MetricType Type, IReadOnlyList<MetricSample> Samples);
