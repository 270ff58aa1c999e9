using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace VoiceBridge.Hosting;

/// <summary>
/// Serilog (Serilog.AspNetCore) as the logging provider: levels and overrides from the <c>Serilog</c> section of
/// appsettings.json, JSON lines in production, readable text in Development, written off the hot path by the async
/// sink, and one request line per plain HTTP request. Application code only ever sees
/// <see cref="Microsoft.Extensions.Logging.ILogger{TCategoryName}"/>.
/// </summary>
internal static class LoggingSetup
{
    /// <summary>The request line: the wording the README runbook quotes, over the request logger's own properties.</summary>
    public const string RequestMessageTemplate = "HTTP {RequestMethod} {RequestPath} answered {StatusCode} in {Elapsed:0.0} ms";

    /// <summary>The event id of a request line (as <c>EventId.Id</c>, like the bridge's own events); probes and scrapes use <see cref="QuietRequestEventId"/>.</summary>
    public const int RequestEventId = 40;

    public const int QuietRequestEventId = 41;

    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    // Not MetricsEndpoint.Path: the scrape route may move to another endpoint, and its requests stay quiet wherever it is.
    private const string MetricsPath = "/metrics";

    /// <summary>
    /// The logger for the time before the host's own exists (and after it is gone): a start-up failure is logged in
    /// the same shape as everything else. The environment comes from the environment variables, the only source
    /// there is before the host reads its configuration.
    /// </summary>
    /// <remarks>
    /// Not Serilog's reloadable bootstrap logger: each host builds its own logger (<c>preserveStaticLogger</c>), so
    /// hosts that run side by side in one process (the integration tests) never share, reload or dispose one static logger.
    /// </remarks>
    public static Serilog.Core.Logger CreateBootstrapLogger()
    {
        var environment = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
            ?? Environments.Production;
        var development = string.Equals(environment, Environments.Development, StringComparison.OrdinalIgnoreCase);

        // Synchronous: the one line that matters here is written just before the process exits.
        return WriteToConsole(new LoggerConfiguration().Enrich.FromLogContext().WriteTo, development).CreateLogger();
    }

    /// <summary>
    /// The assemblies a <c>Serilog</c> section may name sinks and enrichers from: the ones the image ships. Named, so
    /// the reader does not scan every assembly of the application at start-up (bench/README.md, "Start-up").
    /// </summary>
    private static readonly Serilog.Settings.Configuration.ConfigurationReaderOptions ConfigurationAssemblies = new(
        typeof(Serilog.Log).Assembly,
        typeof(Serilog.ConsoleLoggerConfigurationExtensions).Assembly,
        typeof(Serilog.LoggerConfigurationAsyncExtensions).Assembly,
        typeof(Serilog.AspNetCore.RequestLoggingOptions).Assembly);

    public static WebApplicationBuilder AddVoiceBridgeLogging(this WebApplicationBuilder builder)
    {
        // Built from the final configuration when the container is built, so every source (a test host's too) is seen.
        builder.Services.AddSerilog(
            (services, logger) => logger
                .ReadFrom.Configuration(services.GetRequiredService<IConfiguration>(), ConfigurationAssemblies)

                // ASP.NET's "Request starting/finished" lines print the whole URL, query string included, and a token
                // may travel there. The request line (path only) replaces them, whatever the configuration says.
                .MinimumLevel.Override(HostingDiagnosticsCategory, LogEventLevel.Warning)
                .Enrich.FromLogContext()

                // Sinks and enrichers registered in the container join in (the integration tests' capture is one).
                .ReadFrom.Services(services)
                .WriteTo.Async(sink => WriteToConsole(sink, services.GetRequiredService<IHostEnvironment>().IsDevelopment())),
            preserveStaticLogger: true);
        return builder;
    }

    /// <summary>
    /// One line per plain HTTP request: method, path (never the query string, which may carry a token), status and
    /// time. WebSocket sessions log their own open and close lines instead; health probes and scrapes log at Debug.
    /// </summary>
    public static WebApplication UseVoiceBridgeRequestLogging(this WebApplication app)
    {
        // The host's logger, not the static one: see CreateBootstrapLogger.
        var logger = app.Services.GetRequiredService<Serilog.ILogger>();
        app.UseWhen(context => !IsUpgrade(context), plain => plain.UseSerilogRequestLogging(options =>
        {
            options.Logger = logger;
            options.MessageTemplate = RequestMessageTemplate;

            // The default, stated: RequestPath is the path alone.
            options.IncludeQueryInRequestPath = false;
            options.GetLevel = static (context, _, exception) =>
                exception is not null ? LogEventLevel.Error : IsQuiet(context) ? LogEventLevel.Debug : LogEventLevel.Information;

            // The same shape as the bridge's own events, so one query over EventId.Id finds every kind of line.
            options.EnrichDiagnosticContext = static (diagnostics, context) =>
                diagnostics.Set("EventId", new { Id = IsQuiet(context) ? QuietRequestEventId : RequestEventId }, destructureObjects: true);
        }));
        return app;
    }

    // Every upgrade the bridge accepts is a WebSocket (HTTP/1.1 Upgrade, or HTTP/2's extended CONNECT). Checked on the
    // request itself: the WebSocket middleware, which would answer IsWebSocketRequest, runs later in the pipeline.
    private static bool IsUpgrade(HttpContext context) =>
        context.Features.Get<IHttpUpgradeFeature>()?.IsUpgradableRequest == true
        || context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    private static bool IsQuiet(HttpContext context)
    {
        var path = context.Request.Path;
        return path.Equals(HealthEndpoints.HealthPath, StringComparison.OrdinalIgnoreCase)
            || path.Equals(HealthEndpoints.ReadinessPath, StringComparison.OrdinalIgnoreCase)
            || path.Equals(MetricsPath, StringComparison.OrdinalIgnoreCase);
    }

    private static LoggerConfiguration WriteToConsole(Serilog.Configuration.LoggerSinkConfiguration sink, bool development) => development
        ? sink.Console(outputTemplate: TextTemplate, formatProvider: CultureInfo.InvariantCulture)
        : sink.Console(new JsonFormatter(renderMessage: true, formatProvider: CultureInfo.InvariantCulture));
}
