using System.IO.Pipelines;
using System.Net.WebSockets;

namespace VoiceBridge.Tests.Sessions;

/// <summary>
/// Two WebSockets joined by in-memory pipes: a session runs over them with no Kestrel and no TCP. Each direction holds
/// at most <c>bufferBytes</c> unread, so a side that stops reading makes the other side's sends wait, as TCP does.
/// </summary>
internal sealed class InMemoryWebSocketPair : IDisposable
{
    private readonly Pipe _toServer;
    private readonly Pipe _toClient;

    public InMemoryWebSocketPair(int bufferBytes = 64 * 1024)
    {
        var options = new PipeOptions(pauseWriterThreshold: bufferBytes, resumeWriterThreshold: bufferBytes / 2, useSynchronizationContext: false);
        _toServer = new Pipe(options);
        _toClient = new Pipe(options);
        Server = WebSocket.CreateFromStream(new DuplexStream(_toServer.Reader, _toClient.Writer), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
        Client = WebSocket.CreateFromStream(new DuplexStream(_toClient.Reader, _toServer.Writer), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    /// <summary>The accepting end (the bridge's browser socket, or the upstream service's end).</summary>
    public WebSocket Server { get; }

    /// <summary>The connecting end (the browser, or the bridge's upstream socket).</summary>
    public WebSocket Client { get; }

    /// <summary>The client's connection drops without a close frame: the server's next read ends early.</summary>
    public void ClientVanishes()
    {
        _toServer.Writer.Complete();
        _toClient.Reader.Complete();
    }

    /// <summary>The server's connection drops without a close frame.</summary>
    public void ServerVanishes()
    {
        _toClient.Writer.Complete();
        _toServer.Reader.Complete();
    }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
    }

    private sealed class DuplexStream(PipeReader reader, PipeWriter writer) : Stream
    {
        private readonly Stream _read = reader.AsStream();
        private readonly Stream _write = writer.AsStream();

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _read.ReadAsync(buffer, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _write.WriteAsync(buffer, cancellationToken);

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                reader.Complete();
                writer.Complete();
            }

            base.Dispose(disposing);
        }
    }
}
