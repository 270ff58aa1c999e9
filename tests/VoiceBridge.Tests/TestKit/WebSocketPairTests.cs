using System.Net.WebSockets;
using System.Text;

namespace VoiceBridge.Tests.TestKit;

/// <summary>The in-memory pair the session tests stand on: it must behave like two real connected sockets.</summary>
public sealed class WebSocketPairTests
{
    private static async Task<(WebSocketReceiveResult Result, byte[] Payload)> ReceiveWholeAsync(WebSocket socket, CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), ct);
            length += result.Count;
            if (result.EndOfMessage)
            {
                return (new WebSocketReceiveResult(length, result.MessageType, true, socket.CloseStatus, socket.CloseStatusDescription), buffer[..length]);
            }
        }
    }

    [Fact]
    public async Task Messages_TravelBothWays_WholeAndInOrder()
    {
        var ct = TestTimeout.Token();
        using var pair = WebSocketPair.Create();
        var big = Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray(); // larger than the pause threshold

        var receiving = ReceiveWholeAsync(pair.Server, ct);
        await pair.Client.SendAsync(Encoding.UTF8.GetBytes("""{"type":"hello"}"""), WebSocketMessageType.Text, true, ct);
        var (text, textPayload) = await receiving;
        receiving = ReceiveWholeAsync(pair.Server, ct);
        await pair.Client.SendAsync(big, WebSocketMessageType.Binary, true, ct);
        var (binary, binaryPayload) = await receiving;

        await pair.Server.SendAsync(Encoding.UTF8.GetBytes("back"), WebSocketMessageType.Text, true, ct);
        var (back, backPayload) = await ReceiveWholeAsync(pair.Client, ct);

        Assert.Equal(WebSocketMessageType.Text, text.MessageType);
        Assert.Equal("""{"type":"hello"}""", Encoding.UTF8.GetString(textPayload));
        Assert.Equal(WebSocketMessageType.Binary, binary.MessageType);
        Assert.Equal(big, binaryPayload);
        Assert.Equal(WebSocketMessageType.Text, back.MessageType);
        Assert.Equal("back", Encoding.UTF8.GetString(backPayload));
    }

    [Fact]
    public async Task CloseHandshake_BothEndsEndClosed_WithTheInitiatorsStatus()
    {
        var ct = TestTimeout.Token();
        using var pair = WebSocketPair.Create();

        var closing = pair.Client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        var received = await pair.Server.ReceiveAsync(new byte[16], ct);
        Assert.Equal(WebSocketMessageType.Close, received.MessageType);
        Assert.Equal(WebSocketState.CloseReceived, pair.Server.State);
        await pair.Server.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", ct);
        await closing;

        Assert.Equal(WebSocketState.Closed, pair.Client.State);
        Assert.Equal(WebSocketState.Closed, pair.Server.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, pair.Server.CloseStatus);
        Assert.Equal("bye", pair.Server.CloseStatusDescription);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, pair.Client.CloseStatus);
    }

    [Fact]
    public async Task Vanish_OtherEndsPendingReceiveFailsWithoutACloseFrame()
    {
        var ct = TestTimeout.Token();
        using var pair = WebSocketPair.Create();
        var receiving = pair.Server.ReceiveAsync(new byte[16], ct);

        pair.Vanish(pair.Client);

        var error = await Assert.ThrowsAsync<WebSocketException>(() => receiving);
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, error.WebSocketErrorCode);
        Assert.Null(pair.Server.CloseStatus);
        Assert.Equal(WebSocketState.Aborted, pair.Client.State);
    }

    [Fact]
    public async Task Vanish_OtherEndsSendFails()
    {
        var ct = TestTimeout.Token();
        using var pair = WebSocketPair.Create();

        pair.Vanish(pair.Server);

        await Assert.ThrowsAsync<WebSocketException>(() => pair.Client.SendAsync(new byte[8], WebSocketMessageType.Binary, true, ct));
    }

    [Fact]
    public async Task StopReading_OtherEndsSendsBlockAtThePauseThreshold_ResumeDeliversEverythingInOrder()
    {
        var ct = TestTimeout.Token();
        const int Threshold = 16 * 1024;
        const int Size = 1024;
        using var pair = WebSocketPair.Create(new WebSocketPairOptions { PauseWriterThreshold = Threshold });
        pair.StopReading(pair.Client);

        // Sends complete synchronously until the unread bytes reach the threshold; the next one waits for the reader.
        var sent = 0;
        Task blocked;
        while (true)
        {
            var payload = BitConverter.GetBytes(sent).Concat(new byte[Size - 4]).ToArray();
            var send = pair.Server.SendAsync(payload, WebSocketMessageType.Binary, true, ct);
            sent++;
            if (!send.IsCompleted)
            {
                blocked = send;
                break;
            }

            await send;
            Assert.True(sent * Size < 4 * Threshold, $"{sent} sends of {Size} bytes all completed past a {Threshold}-byte threshold");
        }

        Assert.InRange(sent * Size, Threshold, Threshold + (2 * Size));
        Assert.False(blocked.IsCompleted);

        pair.ResumeReading(pair.Client);
        for (var i = 0; i < sent; i++)
        {
            var (result, payload) = await ReceiveWholeAsync(pair.Client, ct);
            Assert.Equal(Size, result.Count);
            Assert.Equal(i, BitConverter.ToInt32(payload));
        }

        await blocked.WaitAsync(ct);
    }

    [Fact]
    public void Ends_AreAServerAndAClient_AndOnlyTheirOwnEndsAreAccepted()
    {
        using var pair = WebSocketPair.Create();
        using var other = WebSocketPair.Create();

        Assert.Equal(WebSocketState.Open, pair.Client.State);
        Assert.Equal(WebSocketState.Open, pair.Server.State);
        Assert.Throws<ArgumentException>(() => pair.StopReading(other.Client));
    }
}
