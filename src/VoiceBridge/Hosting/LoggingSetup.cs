using System.Globalization;
using Serilog;
using Serilog.Extensions.Logging;
using Serilog.Formatting.Json;

namespace VoiceBridge.Hosting;

/// <summary>
/// Serilog as the logging provider: levels and overrides from the <c>Serilog</c> section of appsettings.json,
/// JSON lines in production, readable text in Development, written off the hot path by the async sink.
/// Application code only ever sees <see cref="Microsoft.Extensions.Logging.ILogger{TCategoryName}"/>.
/// </summary>
internal static class LoggingSetup
{
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";
    private const string TextTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static WebApplicationBuilder AddVoiceBridgeLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();

        // ASP.NET's "Request starting/finished" lines print the whole URL, query string included, and a token
        // may travel there. Our own request log (path only) replaces them, whatever the configuration says.
        builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.Warning);

        // Built from the final configuration when the container is built, so every source is seen.
        builder.Logging.Services.AddSingleton<ILoggerProvider>(services => new SerilogLoggerProvider(
            CreateLogger(services.GetRequiredService<IConfiguration>(), services.GetRequiredService<IHostEnvironment>()),
            dispose: true));
        return builder;
    }

    private static Serilog.Core.Logger CreateLogger(IConfiguration configuration, IHostEnvironment environment)
    {
        var logger = new LoggerConfiguration()
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext();

        logger = environment.IsDevelopment()
            ? logger.WriteTo.Async(sink => sink.Console(outputTemplate: TextTemplate, formatProvider: CultureInfo.InvariantCulture))
            : logger.WriteTo.Async(sink => sink.Console(new JsonFormatter(renderMessage: true, formatProvider: CultureInfo.InvariantCulture)));

        return logger.CreateLogger();
    }
}
