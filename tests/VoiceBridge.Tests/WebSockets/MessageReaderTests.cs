using System.Net.WebSockets;
using System.Text;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tests.WebSockets;

public sealed class MessageReaderTests
{
    [Fact]
    public async Task ReadAsync_FragmentedTextMessage_IsReassembledWhole()
    {
        var ct = TestTimeout.Token(10);
        using var pair = WebSocketPair.Create();
        var (client, server) = (pair.Client, pair.Server);
        var payload = Encoding.UTF8.GetBytes(new string('q', 30000) + "é");

        await client.SendAsync(payload.AsMemory(0, 10), WebSocketMessageType.Text, endOfMessage: false, ct);
        await client.SendAsync(payload.AsMemory(10, 20000), WebSocketMessageType.Text, endOfMessage: false, ct);
        await client.SendAsync(payload.AsMemory(20010), WebSocketMessageType.Text, endOfMessage: true, ct);
        var message = await MessageReader.ReadAsync(server, 1 << 20, ct);

        Assert.Equal(InboundKind.Text, message.Kind);
        Assert.Equal(payload, message.Span.ToArray());
        message.Release();
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(9000)]
    public async Task ReadAsync_SmallFirstBuffer_GrowsToAnyMessageWithinTheCap(int size)
    {
        var ct = TestTimeout.Token(10);
        using var pair = WebSocketPair.Create();
        var (client, server) = (pair.Client, pair.Server);
        var payload = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();

        await client.SendAsync(payload, WebSocketMessageType.Binary, true, ct);
        await client.SendAsync(new byte[10001], WebSocketMessageType.Binary, true, ct);
        var message = await MessageReader.ReadAsync(server, 10000, 2048, ct);
        var over = await MessageReader.ReadAsync(server, 10000, 2048, ct);

        Assert.Equal(payload, message.Span.ToArray());
        Assert.Equal(InboundKind.TooBig, over.Kind);
        message.Release();
    }

    [Fact]
    public async Task ReadAsync_MessageOfExactlyTheCap_IsAccepted_OneByteMoreIsTooBig()
    {
        var ct = TestTimeout.Token(10);
        using var pair = WebSocketPair.Create();
        var (client, server) = (pair.Client, pair.Server);

        await client.SendAsync(new byte[20000], WebSocketMessageType.Binary, true, ct);
        var exact = await MessageReader.ReadAsync(server, 20000, ct);
        await client.SendAsync(new byte[20001], WebSocketMessageType.Binary, true, ct);
        var over = await MessageReader.ReadAsync(server, 20000, ct);

        Assert.Equal(InboundKind.Binary, exact.Kind);
        Assert.Equal(20000, exact.Length);
        Assert.Equal(InboundKind.TooBig, over.Kind);
        Assert.Null(over.Buffer);
        exact.Release();
    }

    [Fact]
    public async Task ReadAsync_EmptyBinaryMessage_IsAnEmptyMessageNotAClose()
    {
        var ct = TestTimeout.Token(10);
        using var pair = WebSocketPair.Create();
        var (client, server) = (pair.Client, pair.Server);

        await client.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Binary, true, ct);
        await client.SendAsync(new byte[] { 1, 2 }, WebSocketMessageType.Binary, true, ct);
        var empty = await MessageReader.ReadAsync(server, 1024, ct);
        var next = await MessageReader.ReadAsync(server, 1024, ct);

        Assert.Equal(InboundKind.Binary, empty.Kind);
        Assert.Equal(0, empty.Length);
        Assert.Equal(new byte[] { 1, 2 }, next.Span.ToArray());
        empty.Release();
        next.Release();
    }

    [Fact]
    public async Task ReadAsync_CloseFrame_ReportsStatusAndDescription()
    {
        var ct = TestTimeout.Token(10);
        using var pair = WebSocketPair.Create();
        var (client, server) = (pair.Client, pair.Server);

        await client.CloseOutputAsync((WebSocketCloseStatus)4000, "beta shape", ct);
        var message = await MessageReader.ReadAsync(server, 1024, ct);

        Assert.Equal(InboundKind.Close, message.Kind);
        Assert.Equal((WebSocketCloseStatus)4000, message.CloseStatus);
        Assert.Equal("beta shape", message.CloseDescription);
    }

    [Fact]
    public async Task ReadAsync_ManyMessagesInOrder_KeepTheirTypes()
    {
        var ct = TestTimeout.Token(10);
        using var pair = WebSocketPair.Create();
        var (client, server) = (pair.Client, pair.Server);
        for (var i = 0; i < 50; i++)
        {
            var type = i % 3 == 0 ? WebSocketMessageType.Binary : WebSocketMessageType.Text;
            await client.SendAsync(Encoding.ASCII.GetBytes($"m{i}"), type, true, ct);
        }

        for (var i = 0; i < 50; i++)
        {
            var message = await MessageReader.ReadAsync(server, 1024, ct);
            Assert.Equal(i % 3 == 0 ? InboundKind.Binary : InboundKind.Text, message.Kind);
            Assert.Equal($"m{i}", Encoding.ASCII.GetString(message.Span));
            message.Release();
        }
    }
}
