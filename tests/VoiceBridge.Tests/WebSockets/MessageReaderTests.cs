using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tests.WebSockets;

public sealed class MessageReaderTests
{
    /// <summary>A connected client/server pair of real managed WebSockets over in-memory pipes.</summary>
    private static (WebSocket Client, WebSocket Server) Pair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var serverStream = new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream());
        var clientStream = new DuplexStream(toClient.Reader.AsStream(), toServer.Writer.AsStream());
        var server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true });
        var client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false });
        return (client, server);
    }

    [Fact]
    public async Task ReadAsync_FragmentedTextMessage_IsReassembledWhole()
    {
        var ct = TestTimeout.Token(10);
        var (client, server) = Pair();
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
        var (client, server) = Pair();
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
        var (client, server) = Pair();

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
        var (client, server) = Pair();

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
        var (client, server) = Pair();

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
        var (client, server) = Pair();
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

    private sealed class DuplexStream(Stream read, Stream write) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => write.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => write.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => read.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => read.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => read.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => write.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => write.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => write.WriteAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
