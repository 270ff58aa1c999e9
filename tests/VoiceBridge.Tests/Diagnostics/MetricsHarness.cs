using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using VoiceBridge.Diagnostics;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Diagnostics;

/// <summary>One host's worth of metrics: its own meter factory, <see cref="BridgeMetrics"/> and a started collector.</summary>
internal sealed class MetricsHarness : IDisposable
{
    private readonly TestMeterFactory _factory = new();

    public MetricsHarness(int forwardSampleEvery = 1, bool listen = true)
    {
        var options = Options.Create(new TelemetryOptions { ForwardSampleEvery = forwardSampleEvery });
        Registry = new SessionRegistry(NullLogger<SessionRegistry>.Instance);
        Metrics = new BridgeMetrics(_factory, Registry, options);
        Collector = new MetricsCollector(Metrics, options);
        if (listen)
        {
            Collector.Start();
        }
    }

    public SessionRegistry Registry { get; }

    public BridgeMetrics Metrics { get; }

    public MetricsCollector Collector { get; }

    public string Scrape(bool withProcess = false) =>
        PrometheusTextWriter.Write(withProcess ? Collector.Collect().Concat(ProcessMetrics.Collect()) : Collector.Collect());

    public PrometheusExposition Parse(bool withProcess = false) => PrometheusExposition.Parse(Scrape(withProcess));

    public void Dispose()
    {
        Collector.Dispose();
        _factory.Dispose();
    }
}
