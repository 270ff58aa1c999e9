using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class RealtimeSimulatorTests
{
    [Fact]
    public async Task RunSession_OnDecoratedSocket_UsesOnlyTheAbstractWebSocketApi()
    {
        using var cts = TestTimeout.Source(10);
        var simulator = new RealtimeSimulator(
            new SimulatorOptions { DeltaInterval = TimeSpan.Zero },
            TimeProvider.System,
            NullLogger<RealtimeSimulator>.Instance);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.UseWebSockets();
        var sessionEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Map("/harness", async (HttpContext context) =>
        {
            using var accepted = await context.WebSockets.AcceptWebSocketAsync();
            using var decorated = new DecoratingWebSocket(accepted);
            await simulator.RunSessionAsync(decorated, new SimulatorConnection("gpt-realtime", SimulatorDialect.GA), context.RequestAborted);
            sessionEnded.SetResult();
        });
        await app.StartAsync(cts.Token);
        var url = new Uri(app.Urls.First().Replace("http", "ws", StringComparison.Ordinal) + "/harness");

        await using (var client = await SimulatorTestClient.ConnectAsync(url, cts.Token))
        {
            await client.ReceiveEventAsync(cts.Token);
            await client.SendAsync("""{"type":"response.create"}""", cts.Token);
            var response = await client.ReceiveUntilAsync("response.done", cts.Token);
            Assert.Equal("completed", response[^1].Str("response.status"));
        }

        await sessionEnded.Task.WaitAsync(cts.Token);
        await app.StopAsync(cts.Token);
    }

    /// <summary>Overrides only the abstract members, as a fault-injecting harness would.</summary>
    private sealed class DecoratingWebSocket(WebSocket inner) : WebSocket
    {
        public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;

        public override string? CloseStatusDescription => inner.CloseStatusDescription;

        public override WebSocketState State => inner.State;

        public override string? SubProtocol => inner.SubProtocol;

        public override void Abort() => inner.Abort();

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override void Dispose() => inner.Dispose();

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            inner.ReceiveAsync(buffer, cancellationToken);

        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
    }
}
