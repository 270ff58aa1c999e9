using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Options;
using VoiceBridge.Hosting;
using VoiceBridge.Security;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// <c>GET /metrics</c>: the collector's families and the process figures in the Prometheus text format.
/// Short-circuited in routing, so a scrape runs no later middleware (no request log line at Information).
/// </summary>
internal static class MetricsEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Maps the route unless <c>Telemetry:Metrics</c> is <c>Off</c> (then <c>/metrics</c> is a 404).</summary>
    public static WebApplication MapMetrics(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value.Metrics == MetricsAccess.Off)
        {
            return app;
        }

        // Subscribe before the first session can start, not only when hosted services start.
        app.Services.GetRequiredService<MetricsCollector>().Start();
        app.MapGet(Path, Handle).ShortCircuit();
        return app;
    }

    private static IResult Handle(HttpContext context, MetricsCollector collector, GcBenchmarkCounters gcBenchmark, IOptions<TelemetryOptions> telemetry, IOptions<AdminOptions> admin, ILogger<MetricsCollector> logger)
    {
        var started = Stopwatch.GetTimestamp();
        if (telemetry.Value.Metrics == MetricsAccess.Protected && !AdminKeyCheck.IsAdmin(context.Request, admin.Value.ApiKey))
        {
            MetricsLog.Refused(logger);
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return JsonErrors.Error(StatusCodes.Status401Unauthorized, "unauthorized", "GET /metrics needs 'Authorization: Bearer <admin key>'.");
        }

        var body = PrometheusTextWriter.Write(collector.Collect().Concat(ProcessMetrics.Collect()).Concat(gcBenchmark.Collect()));
        context.Response.Headers.CacheControl = "no-store";
        MetricsLog.Scraped(logger, StatusCodes.Status200OK, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return TypedResults.Text(body, PrometheusTextWriter.ContentType, Encoding.UTF8);
    }
}
