using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VoiceBridge.Diagnostics;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Diagnostics;

/// <summary>
/// One host's worth of metrics, wired as the host wires them (<see cref="MetricsServiceCollectionExtensions.AddVoiceBridgeMetrics"/>):
/// its own service provider, meter factory and OpenTelemetry MeterProvider, scraped through the Prometheus exporter's middleware.
/// </summary>
internal sealed class MetricsHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public MetricsHarness(int forwardSampleEvery = 1, bool listen = true, bool benchmarkCounters = false)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VoiceBridge:Telemetry:ForwardSampleEvery"] = forwardSampleEvery.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["VoiceBridge:Telemetry:Metrics"] = listen ? "Open" : "Off",
            ["VoiceBridge:Telemetry:BenchmarkCounters"] = benchmarkCounters ? "true" : "false",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(new SessionRegistry(NullLogger<SessionRegistry>.Instance));
        services.AddVoiceBridgeMetrics(configuration);
        _services = services.BuildServiceProvider();

        Registry = _services.GetRequiredService<SessionRegistry>();
        Metrics = _services.GetRequiredService<BridgeMetrics>();
        _ = _services.GetRequiredService<ProcessMetrics>();
        _ = _services.GetRequiredService<GcBenchmarkCounters>();
        if (listen)
        {
            // What the host does at start: options validation starts the metrics subscriptions.
            _services.GetRequiredService<IStartupValidator>().Validate();
            Metrics.PublishKnownSeries();
        }
    }

    public SessionRegistry Registry { get; }

    public BridgeMetrics Metrics { get; }

    public string Scrape()
    {
        var context = new DefaultHttpContext { RequestServices = _services };
        context.Request.Method = HttpMethods.Get;
        context.Request.Path = MetricsEndpoint.Path;
        using var body = new MemoryStream();
        context.Response.Body = body;
        var app = new ApplicationBuilder(_services);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(MetricsEndpoint.Path);
        app.Build()(context).GetAwaiter().GetResult();
        Assert.Equal(StatusCodes.Status200OK, context.Response.StatusCode);
        return System.Text.Encoding.UTF8.GetString(body.ToArray());
    }

    public PrometheusExposition Parse() => PrometheusExposition.Parse(Scrape());

    public void Dispose() => _services.Dispose();
}
