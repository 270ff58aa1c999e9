using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

public sealed class ShutdownTests
{
    [Fact]
    public async Task Shutdown_EveryLiveSessionGetsServerShuttingDownAnd1001_Upstream1000()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        var bridge = new BridgeApp(upstream.Url);
        var browsers = new List<BrowserClient>();
        var connections = new List<UpstreamConnection>();
        for (var i = 0; i < 3; i++)
        {
            var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
            await browser.WaitForEventAsync("session.created", ct);
            browsers.Add(browser);
            connections.Add(await upstream.NextConnectionAsync(ct));
        }

        var host = bridge.Services.GetRequiredService<IHost>();
        var stopping = host.StopAsync(ct);
        var received = await Task.WhenAll(browsers.Select(b => b.ReadUntilClosedAsync(ct)));
        await stopping;

        foreach (var (messages, browser) in received.Zip(browsers))
        {
            var error = messages.Last().Json.GetProperty("error");
            Assert.Equal("server_shutting_down", error.GetProperty("code").GetString());
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Socket.CloseStatus);
        }

        foreach (var connection in connections)
        {
            await connection.Ended.WaitAsync(ct);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        }

        await bridge.DisposeAsync();
    }

    [Fact]
    public async Task Draining_ReadinessIs503AndNewUpgradesAreRefused_LivenessStays200()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:WebSocket:CloseTimeout"] = "00:00:03" });
        using var http = bridge.CreateHttpClient();
        var voice = bridge.VoiceUri();

        // A browser that never answers the close keeps the drain going for the close timeout.
        await using var stubborn = await RawWebSocketClient.ConnectAsync(voice, ct);
        await upstream.NextConnectionAsync(ct);

        // Captured first: once stopped, the app's own RunAsync disposes its services.
        var registry = bridge.Registry;
        var stopping = bridge.Services.GetRequiredService<IHost>().StopAsync(ct);
        await bridge.WaitUntilAsync(() => registry.IsDraining, ct);

        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), ct);
        using var live = await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct);
        await using var late = await RawWebSocketClient.ConnectAsync(voice, ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(503, late.Status);
        Assert.Contains("Retry-After", late.ResponseHead, StringComparison.OrdinalIgnoreCase);

        await stopping;
        Assert.Equal(0, registry.Count);
        await bridge.DisposeAsync();
    }
}
