using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using VoiceBridge.Configuration;
using PollyTelemetryOptions = Polly.Telemetry.TelemetryOptions;

namespace VoiceBridge.Realtime;

internal static class UpstreamServiceCollectionExtensions
{
    /// <summary>
    /// The upstream connector, its target and its connect pipeline, named <see cref="UpstreamConnector.PipelineName"/>
    /// in Polly's registry: built on the host's <see cref="TimeProvider"/> (a test's fake clock drives its delays and
    /// timeouts) with Polly's telemetry on, so its retries and timeouts are counted on the <c>Polly</c> meter.
    /// </summary>
    public static IServiceCollection AddUpstreamConnector(this IServiceCollection services)
    {
        services.AddResiliencePipeline(UpstreamConnector.PipelineName, static (builder, context) =>
        {
            // Metrics only: the bridge logs every retry itself (event 21, with the reason), and Polly's own lines
            // would repeat each one twice at Warning (the retry and the handled attempt).
            builder.ConfigureTelemetry(new PollyTelemetryOptions(context.GetOptions<PollyTelemetryOptions>()) { LoggerFactory = NullLoggerFactory.Instance });
            var services = context.ServiceProvider;
            UpstreamConnector.ConfigurePipeline(
                builder,
                services.GetRequiredService<IOptions<UpstreamOptions>>().Value,
                services.GetRequiredService<ILogger<UpstreamConnector>>());
        });
        services.AddSingleton<UpstreamConnector>();
        services.AddSingleton<IUpstreamDialer>(static provider => provider.GetRequiredService<UpstreamConnector>());
        services.AddSingleton<UpstreamTarget>();
        return services;
    }
}
