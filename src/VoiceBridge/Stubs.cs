// TEMPORARY compile stubs, replaced by the codec and simulator branches. Never committed.
#pragma warning disable
using System.Net.WebSockets;
using VoiceBridge.Configuration;
namespace VoiceBridge.Realtime.Simulator
{
    internal sealed class SimulatorOptions { public TimeSpan DeltaInterval { get; set; } public TimeSpan MaxSessionDuration { get; set; } = TimeSpan.FromHours(1); }
    internal enum SimulatorDialect { GA, Beta }
    internal sealed record SimulatorConnection(string Model, SimulatorDialect Dialect);
    internal sealed class RealtimeSimulator
    {
        public RealtimeSimulator(SimulatorOptions o, TimeProvider t, ILogger<RealtimeSimulator> l) { }
        public async Task RunSessionAsync(WebSocket socket, SimulatorConnection c, CancellationToken ct)
        {
            try {
            await socket.SendAsync("{\"type\":\"session.created\",\"event_id\":\"event_1\",\"session\":{}}"u8.ToArray(), WebSocketMessageType.Text, true, ct);
            var buf = new byte[1 << 20];
            while (true) { var r = await socket.ReceiveAsync(buf.AsMemory(), ct); if (r.MessageType == WebSocketMessageType.Close) { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct); return; } }
            } catch (Exception) { }
        }
    }
    internal sealed class SimulatorHost : IHostedService { public Task<Uri> GetEndpointAsync(CancellationToken c) => throw new NotSupportedException(); public Task StartAsync(CancellationToken c) => Task.CompletedTask; public Task StopAsync(CancellationToken c) => Task.CompletedTask; }
}
