using OpenTelemetry.Exporter;

namespace VoiceBridge.Diagnostics;

/// <summary>Metrics exposure (section <c>VoiceBridge:Telemetry</c>).</summary>
internal sealed class TelemetryOptions
{
    public const string SectionName = "VoiceBridge:Telemetry";

    public const int MaxForwardSampleEvery = 1_000_000;

    /// <summary><c>Open</c> (default), <c>Protected</c> (needs the admin key) or <c>Off</c>.</summary>
    public MetricsAccess Metrics { get; set; } = MetricsAccess.Open;

    /// <summary>
    /// <c>voicebridge_forward_seconds</c> times one frame in this many (per thread): two timestamps and a
    /// histogram record are cheap, but not free on every audio frame. 1 times every frame.
    /// </summary>
    public int ForwardSampleEvery { get; set; } = 16;

    /// <summary>
    /// When set, the meters of <c>/metrics</c> and Polly's are also pushed over OTLP to this
    /// collector (e.g. <c>http://otel-collector:4317</c> for gRPC, <c>http://otel-collector:4318</c> for HTTP).
    /// Independent of <see cref="Metrics"/>.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>Grpc</c> (the OpenTelemetry default) or <c>HttpProtobuf</c>.</summary>
    public OtlpExportProtocol OtlpProtocol { get; set; } = OtlpExportProtocol.Grpc;

    public TimeSpan OtlpExportInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Benchmark only (<c>bench/VoiceBridge.Bench</c> turns it on): <c>/metrics</c> also exposes
    /// <c>dotnet_gc_allocated_bytes_total</c> and <c>dotnet_gc_pause_max_seconds</c>, and a 50 ms timer samples
    /// each collection's pause. Off (the default), nothing of it runs and <c>/metrics</c> is unchanged.
    /// </summary>
    public bool BenchmarkCounters { get; set; }
}
