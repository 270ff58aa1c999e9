using System.Diagnostics;
using Microsoft.Extensions.Options;
using VoiceBridge.Hosting;
using VoiceBridge.Security;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// <c>GET /metrics</c>: OpenTelemetry's Prometheus exporter on the host's <c>MeterProvider</c>, behind the access check
/// of <c>Telemetry:Metrics</c>. Short-circuited in routing, so a scrape runs no later middleware (no rate limiter, no
/// request log line at Information).
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    private const string LoggerCategory = "VoiceBridge.Diagnostics.MetricsEndpoint";

    /// <summary>Maps the route unless <c>Telemetry:Metrics</c> is <c>Off</c> (then <c>/metrics</c> is a 404).</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // The SDK listens once the host has started (its subscriptions start with options validation): only then can
        // the fixed series be set to 0. The process series exist as soon as their instruments do.
        app.Lifetime.ApplicationStarted.Register(app.Services.GetRequiredService<BridgeMetrics>().PublishKnownSeries);
        _ = app.Services.GetRequiredService<ProcessMetrics>();
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics == MetricsAccess.Off)
        {
            return app;
        }

        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch => branch.Use(GuardAsync), optionsName: null)
            .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
            .ShortCircuit();
        return app;
    }

    /// <summary>Runs before the exporter: refuses a protected scrape without the admin key, marks the answer uncacheable, logs it.</summary>
    private static async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var adminKey = services.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey;
        if (services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics == MetricsAccess.Protected && !AdminKeyCheck.IsAdmin(context.Request, adminKey))
        {
            MetricsLog.Refused(logger);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await JsonErrors.Error(StatusCodes.Status401Unauthorized, "unauthorized", "GET /metrics needs 'Authorization: Bearer <admin key>'.").ExecuteAsync(context);
            return;
        }

        context.Response.Headers.CacheControl = "no-store";
        await next(context);
        MetricsLog.Scraped(logger, context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
