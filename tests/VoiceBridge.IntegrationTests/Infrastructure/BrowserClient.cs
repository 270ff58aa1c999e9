using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>A message the browser received from the bridge.</summary>
public sealed record BrowserMessage(WebSocketMessageType Type, byte[] Payload)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public string? EventType
    {
        get
        {
            if (Type != WebSocketMessageType.Text)
            {
                return null;
            }

            using var document = JsonDocument.Parse(Payload);
            return document.RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
        }
    }

    public JsonElement Json => JsonDocument.Parse(Payload).RootElement.Clone();
}

/// <summary>A browser-like client of /voice over a real ClientWebSocket.</summary>
public sealed class BrowserClient : IAsyncDisposable
{
    private BrowserClient(ClientWebSocket socket)
    {
        Socket = socket;
    }

    public ClientWebSocket Socket { get; }

    public static async Task<BrowserClient> ConnectAsync(Uri uri, CancellationToken cancellationToken, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("realtime");
        socket.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(socket.Options);
        await socket.ConnectAsync(uri, cancellationToken);
        return new BrowserClient(socket);
    }

    public Task SendTextAsync(string json, CancellationToken cancellationToken) =>
        Socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancellationToken);

    public Task SendBinaryAsync(byte[] payload, CancellationToken cancellationToken) =>
        Socket.SendAsync(payload, WebSocketMessageType.Binary, true, cancellationToken);

    /// <summary>The next whole message, or null once the bridge has closed (see <see cref="ClientWebSocket.CloseStatus"/>).</summary>
    public async Task<BrowserMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await Socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return new BrowserMessage(result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Skips messages until one of the given event type arrives.</summary>
    public async Task<BrowserMessage> WaitForEventAsync(string type, CancellationToken cancellationToken)
    {
        while (true)
        {
            var message = await ReceiveAsync(cancellationToken)
                ?? throw new InvalidOperationException($"The bridge closed ({Socket.CloseStatus} {Socket.CloseStatusDescription}) before '{type}' arrived.");
            if (message.EventType == type)
            {
                return message;
            }
        }
    }

    /// <summary>Reads until the bridge closes; returns everything received before the close.</summary>
    public async Task<List<BrowserMessage>> ReadUntilClosedAsync(CancellationToken cancellationToken)
    {
        var messages = new List<BrowserMessage>();
        while (await ReceiveAsync(cancellationToken) is { } message)
        {
            messages.Add(message);
        }

        if (Socket.State == WebSocketState.CloseReceived)
        {
            await Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
        }

        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                Socket.Abort();
            }
        }

        Socket.Dispose();
    }
}
