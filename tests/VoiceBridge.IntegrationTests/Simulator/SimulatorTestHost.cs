using System.Net.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Simulator;

/// <summary>A <see cref="SimulatorHost"/> on a real loopback Kestrel listener, one per test.</summary>
internal sealed class SimulatorTestHost : IAsyncDisposable
{
    private readonly SimulatorHost _host;

    private SimulatorTestHost(SimulatorHost host, Uri endpoint)
    {
        _host = host;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static async Task<SimulatorTestHost> StartAsync(CancellationToken ct, Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { DeltaInterval = TimeSpan.Zero };
        configure?.Invoke(options);
        var host = new SimulatorHost(options, NullLoggerFactory.Instance, TimeProvider.System);
        await host.StartAsync(ct);
        return new SimulatorTestHost(host, await host.GetEndpointAsync(ct));
    }

    public Uri Url(string query) => new($"{Endpoint}{query}");

    public Task<SimulatorTestClient> ConnectAsync(CancellationToken ct, string query = "?model=gpt-realtime", Action<ClientWebSocketOptions>? configure = null) =>
        SimulatorTestClient.ConnectAsync(Url(query), ct, configure);

    /// <summary>Connects and consumes <c>session.created</c>.</summary>
    public async Task<SimulatorTestClient> ConnectReadyAsync(CancellationToken ct, string query = "?model=gpt-realtime")
    {
        var client = await ConnectAsync(ct, query);
        var created = await client.ReceiveEventAsync(ct);
        Assert.Equal("session.created", created.Type());
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(stop.Token);
        await _host.DisposeAsync();
    }
}
