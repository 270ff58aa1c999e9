using System.Net.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class SimulatorHostTests
{
    [Fact]
    public async Task GetEndpoint_AfterStart_IsLoopbackRealtimeUrl()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = new SimulatorHost(new SimulatorOptions(), NullLoggerFactory.Instance, TimeProvider.System);
        var endpoint = host.GetEndpointAsync(cts.Token);

        await host.StartAsync(cts.Token);
        var uri = await endpoint;
        await host.StopAsync(cts.Token);

        Assert.Equal("ws", uri.Scheme);
        Assert.Equal("127.0.0.1", uri.Host);
        Assert.NotEqual(0, uri.Port);
        Assert.Equal("/v1/realtime", uri.AbsolutePath);
    }

    [Fact]
    public async Task Stop_WithOpenSession_ClosesItWith1001()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = new SimulatorHost(new SimulatorOptions(), NullLoggerFactory.Instance, TimeProvider.System);
        await host.StartAsync(cts.Token);
        await using var client = await SimulatorTestClient.ConnectAsync(await host.GetEndpointAsync(cts.Token), cts.Token);
        await client.ReceiveEventAsync(cts.Token);

        var stop = host.StopAsync(cts.Token);
        var events = await client.ReceiveUntilCloseAsync(cts.Token);
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
        await stop;

        Assert.Empty(events);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.Socket.CloseStatus);
    }
}
