using Microsoft.Extensions.Options;
using VoiceBridge.Security;

namespace VoiceBridge.Diagnostics;

internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Options (<c>VoiceBridge:Telemetry</c>, validated at start), the <see cref="BridgeMetrics"/> instruments and
    /// the in-process <see cref="MetricsCollector"/>, started and disposed with the host, and the optional OTLP push.
    /// </summary>
    public static IServiceCollection AddVoiceBridgeMetrics(this IServiceCollection services)
    {
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>, TelemetryOptionsValidator>();

        // Protected mode compares against the admin key; binding the section again elsewhere is harmless.
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName);

        services.AddMetrics();
        services.AddSingleton<BridgeMetrics>();
        services.AddSingleton<MetricsCollector>();
        services.AddHostedService(sp => sp.GetRequiredService<MetricsCollector>());
        services.AddHostedService<OtlpMetricsExport>();
        services.AddSingleton<GcBenchmarkCounters>();
        services.AddHostedService(sp => sp.GetRequiredService<GcBenchmarkCounters>());
        return services;
    }
}
