using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The optional OTLP push (<c>VoiceBridge:Telemetry:OtlpEndpoint</c>). The bridge's, ASP.NET Core's and the runtime's
/// meters go through a periodic reader on the host's one <see cref="MeterProvider"/>, beside the Prometheus exporter
/// (<see cref="AddExporter"/>). Polly's meter needs a second, OTLP-only provider (this service): the SDK
/// has no per-exporter meter filter, and Polly's millisecond histograms would put <c>_milliseconds</c> names on
/// <c>/metrics</c>, which Prometheus' naming rules (<c>promtool check metrics</c>) refuse. Polly records at connect
/// time only, so the second listener costs nothing per frame.
/// </summary>
internal sealed class OtlpMetricsExport : IHostedService, IDisposable
{
    /// <summary>Polly.Extensions' one process-wide meter: the upstream connect's retries and timeouts, <c>resilience.polly.*</c>.</summary>
    internal const string PollyMeterName = "Polly";

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(3);

    private readonly TelemetryOptions _options;
    private MeterProvider? _pollyProvider;

    public OtlpMetricsExport(TelemetryOptions options) => _options = options;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService(BridgeMetrics.MeterName))
            .AddMeter(PollyMeterName);
        _pollyProvider = AddExporter(builder, _options).Build();
        return Task.CompletedTask;
    }

    /// <summary>
    /// One last export of what was counted since the previous one, bounded so that an unreachable collector
    /// cannot eat the shutdown budget; disposing afterwards has nothing left to wait for.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _pollyProvider?.Shutdown((int)ShutdownTimeout.TotalMilliseconds);
        return Task.CompletedTask;
    }

    public void Dispose() => _pollyProvider?.Dispose();

    public static MeterProviderBuilder AddExporter(MeterProviderBuilder builder, TelemetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var endpoint = new Uri(options.OtlpEndpoint!);
        return builder.AddOtlpExporter((exporter, reader) =>
        {
            exporter.Protocol = options.OtlpProtocol;
            exporter.Endpoint = ExporterEndpoint(endpoint, options.OtlpProtocol);
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpExportInterval.TotalMilliseconds;
        });
    }

    /// <summary>
    /// Over HTTP the exporter posts to the endpoint exactly as given, so a bare collector address gets the
    /// signal path OTLP defines (<c>/v1/metrics</c>); gRPC takes the address as is.
    /// </summary>
    internal static Uri ExporterEndpoint(Uri endpoint, OtlpExportProtocol protocol) =>
        protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath == "/"
            ? new Uri(endpoint, "/v1/metrics")
            : endpoint;
}
