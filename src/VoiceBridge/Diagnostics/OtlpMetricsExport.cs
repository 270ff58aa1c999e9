using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Optional push of the metrics over OTLP when <c>VoiceBridge:Telemetry:OtlpEndpoint</c> is set: the bridge's
/// meter plus the runtime's built-in <c>System.Runtime</c> meter and Polly's (the upstream connect's retries and
/// timeouts, <c>resilience.polly.*</c>), through the OpenTelemetry SDK's own listener
/// (OpenTelemetry.Extensions.Hosting does not restore here, so the provider's lifetime is this service's).
/// The SDK subscribes by meter name, which is one meter per process outside tests.
/// </summary>
internal sealed class OtlpMetricsExport : IHostedService, IDisposable
{
    /// <summary>
    /// Polly.Extensions' one process-wide meter. Not on <c>/metrics</c>: <see cref="MetricsCollector"/> subscribes to
    /// this host's own meter instance only, and Polly's histograms are in milliseconds, which Prometheus' naming rules
    /// (<c>promtool check metrics</c>) refuse; the planned OpenTelemetry-based <c>/metrics</c> can add it by name.
    /// </summary>
    internal const string PollyMeterName = "Polly";

    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(3);

    private readonly TelemetryOptions _options;
    private readonly IHostEnvironment _environment;
    private MeterProvider? _provider;

    public OtlpMetricsExport(IOptions<TelemetryOptions> options, IHostEnvironment environment)
    {
        _options = options.Value;
        _environment = environment;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.OtlpEndpoint is { } endpoint)
        {
            _provider = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(ResourceBuilder.CreateDefault().AddService(_environment.ApplicationName))
                .AddMeter(BridgeMetrics.MeterName, "System.Runtime", PollyMeterName)
                .AddOtlpExporter((exporter, reader) =>
                {
                    exporter.Protocol = _options.OtlpProtocol;
                    exporter.Endpoint = ExporterEndpoint(new Uri(endpoint), _options.OtlpProtocol);
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)_options.OtlpExportInterval.TotalMilliseconds;
                })
                .Build();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// One last export of what was counted since the previous one, bounded so that an unreachable collector
    /// cannot eat the shutdown budget; disposing afterwards has nothing left to wait for.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _provider?.Shutdown((int)ShutdownTimeout.TotalMilliseconds);
        return Task.CompletedTask;
    }

    public void Dispose() => _provider?.Dispose();

    /// <summary>
    /// Over HTTP the exporter posts to the endpoint exactly as given, so a bare collector address gets the
    /// signal path OTLP defines (<c>/v1/metrics</c>); gRPC takes the address as is.
    /// </summary>
    internal static Uri ExporterEndpoint(Uri endpoint, OtlpExportProtocol protocol) =>
        protocol == OtlpExportProtocol.HttpProtobuf && endpoint.AbsolutePath == "/"
            ? new Uri(endpoint, "/v1/metrics")
            : endpoint;
}
