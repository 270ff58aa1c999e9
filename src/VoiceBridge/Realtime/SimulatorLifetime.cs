using VoiceBridge.Configuration;
using VoiceBridge.Simulator;

namespace VoiceBridge.Realtime;

/// <summary>Starts the built-in simulator's loopback listener only when the bridge actually uses it.</summary>
internal sealed class SimulatorLifetime : IHostedService
{
    private readonly EffectiveProvider _provider;
    private readonly SimulatorHost _host;

    public SimulatorLifetime(EffectiveProvider provider, SimulatorHost host)
    {
        _provider = provider;
        _host = host;
    }

    public Task StartAsync(CancellationToken cancellationToken) =>
        _provider.Provider == UpstreamProvider.Simulator ? _host.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        _provider.Provider == UpstreamProvider.Simulator ? _host.StopAsync(cancellationToken) : Task.CompletedTask;
}
