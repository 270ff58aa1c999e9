using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace VoiceBridge.IntegrationTests.Simulator;

/// <summary>A <see cref="ClientWebSocket"/> that speaks JSON events, for driving the simulator like the bridge does.</summary>
internal sealed class SimulatorTestClient : IAsyncDisposable
{
    private SimulatorTestClient(ClientWebSocket socket)
    {
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public static async Task<SimulatorTestClient> ConnectAsync(Uri url, CancellationToken ct, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(url, ct);
        return new SimulatorTestClient(socket);
    }

    public Task SendAsync(string json, CancellationToken ct) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, ct);

    public Task SendAsync(object message, CancellationToken ct) => SendAsync(JsonSerializer.Serialize(message), ct);

    public Task AppendAsync(byte[] pcm, CancellationToken ct) =>
        SendAsync(new { type = "input_audio_buffer.append", audio = Convert.ToBase64String(pcm) }, ct);

    /// <summary>The next event; fails the test on a close or an unexpected binary frame.</summary>
    public async Task<JsonElement> ReceiveEventAsync(CancellationToken ct)
    {
        var (type, payload) = await ReceiveMessageAsync(ct);
        Assert.Equal(WebSocketMessageType.Text, type);
        using var document = JsonDocument.Parse(payload);
        return document.RootElement.Clone();
    }

    /// <summary>Events up to and including the first of <paramref name="type"/>.</summary>
    public async Task<List<JsonElement>> ReceiveUntilAsync(string type, CancellationToken ct)
    {
        var events = new List<JsonElement>();
        while (true)
        {
            var e = await ReceiveEventAsync(ct);
            events.Add(e);
            if (e.Type() == type)
            {
                return events;
            }
        }
    }

    /// <summary>Reads (and returns) events until the server's close frame.</summary>
    public async Task<List<JsonElement>> ReceiveUntilCloseAsync(CancellationToken ct)
    {
        var events = new List<JsonElement>();
        while (true)
        {
            var (type, payload) = await ReceiveMessageAsync(ct);
            if (type == WebSocketMessageType.Close)
            {
                return events;
            }

            using var document = JsonDocument.Parse(payload);
            events.Add(document.RootElement.Clone());
        }
    }

    public async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer, ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        Socket.Dispose();
    }
}
