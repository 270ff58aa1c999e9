using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using VoiceBridge.Security;

namespace VoiceBridge.Diagnostics;

internal static class MetricsServiceCollectionExtensions
{
    /// <summary>The name OpenTelemetry's <c>IMetricsListener</c> registers under (OpenTelemetry.Extensions.Hosting).</summary>
    private const string OpenTelemetryListener = "OpenTelemetry";

    /// <summary>The runtime's built-in meter, which OpenTelemetry.Instrumentation.Runtime subscribes to on .NET 9 and later.</summary>
    private const string RuntimeMeterName = "System.Runtime";

    /// <summary>
    /// Meters created by this host's <see cref="System.Diagnostics.Metrics.IMeterFactory"/>: the bridge's, the documented
    /// process series, the benchmark counters, and ASP.NET Core's request and Kestrel connection meters.
    /// </summary>
    private static readonly string[] HostMeters =
    [
        BridgeMetrics.MeterName,
        ProcessMetrics.MeterName,
        GcBenchmarkCounters.MeterName,
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    /// <summary>
    /// Options (<c>VoiceBridge:Telemetry</c>, validated at start), the instruments, and one OpenTelemetry
    /// <see cref="MeterProvider"/> per host that feeds <c>GET /metrics</c> (Prometheus exporter) and, when configured,
    /// the OTLP push. <paramref name="configuration"/> decides which exporters exist; their settings are validated later
    /// with the rest of the options.
    /// </summary>
    public static IServiceCollection AddVoiceBridgeMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();

        // Protected mode compares against the admin key; binding the section again elsewhere is harmless.
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName);

        services.AddSingleton<BridgeMetrics>();
        services.AddSingleton<ProcessMetrics>();
        services.AddSingleton<GcBenchmarkCounters>();
        services.AddHostedService(sp => sp.GetRequiredService<GcBenchmarkCounters>());

        // The SDK's AddMeter subscribes by name, process-wide: two hosts in one process (tests) would count each other's
        // sessions. Enabling the meters through the host's metrics builder with MeterScope.Local instead hands
        // OpenTelemetry only the meter instances this host's IMeterFactory created.
        services.AddMetrics(metrics =>
        {
            foreach (var meter in HostMeters)
            {
                metrics.EnableMetrics(meter, instrumentName: null, OpenTelemetryListener, MeterScope.Local);
            }
        });

        var telemetry = ReadEarly(configuration);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(BridgeMetrics.MeterName))
            .WithMetrics(metrics =>
            {
                // System.Runtime is one meter per process, so by name.
                metrics.AddRuntimeInstrumentation().AddView(RuntimeView);
                if (telemetry.Metrics != MetricsAccess.Off)
                {
                    metrics.AddPrometheusExporter(prometheus =>
                    {
                        // Every scrape collects afresh (a test or a second Prometheus must not read a 300 ms old answer),
                        // and the exposition stays what it was before the exporter: no target_info family and no
                        // otel_scope_* label on every sample (the meter names mean nothing to the dashboards).
                        prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                        prometheus.ScopeInfoEnabled = false;
                        prometheus.TargetInfoEnabled = false;
                    });
                }

                if (telemetry.OtlpEndpoint is not null)
                {
                    OtlpMetricsExport.AddExporter(metrics, telemetry);
                }
            });

        // Polly's meter goes over OTLP only, through a provider of its own (see OtlpMetricsExport).
        if (telemetry.OtlpEndpoint is not null)
        {
            services.AddHostedService(_ => new OtlpMetricsExport(telemetry));
        }

        return services;
    }

    /// <summary>
    /// Views apply to every exporter of the provider, so these shape OTLP too. The runtime's <c>dotnet.gc.collections</c>
    /// would take the Prometheus name of the documented <c>dotnet_gc_collections_total{generation}</c>
    /// (<see cref="ProcessMetrics"/>): dropped. Four gauges named <c>….count</c> would become <c>…_count</c>, which
    /// Prometheus reserves for histograms and summaries (<c>promtool check metrics</c> refuses them): renamed.
    /// </summary>
    private static MetricStreamConfiguration? RuntimeView(Instrument instrument) =>
        instrument.Meter.Name != RuntimeMeterName ? null : instrument.Name switch
        {
            "dotnet.gc.collections" => MetricStreamConfiguration.Drop,
            "dotnet.assembly.count" => new MetricStreamConfiguration { Name = "dotnet.assemblies" },
            "dotnet.process.cpu.count" => new MetricStreamConfiguration { Name = "dotnet.process.cpus" },
            "dotnet.thread_pool.thread.count" => new MetricStreamConfiguration { Name = "dotnet.thread_pool.threads" },
            "dotnet.timer.count" => new MetricStreamConfiguration { Name = "dotnet.timers" },
            _ => null,
        };

    /// <summary>
    /// The telemetry section as far as it decides which exporters to register, before the options are validated; a
    /// value that does not bind leaves the defaults here and stops start-up with a clear line in validation.
    /// </summary>
    private static TelemetryOptions ReadEarly(IConfiguration configuration)
    {
        var options = new TelemetryOptions();
        try
        {
            configuration.GetSection(TelemetryOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException)
        {
            return new TelemetryOptions();
        }

        return options.OtlpEndpoint is null || Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out _)
            ? options
            : new TelemetryOptions { Metrics = options.Metrics };
    }
}
