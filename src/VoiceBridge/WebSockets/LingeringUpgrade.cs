using Microsoft.AspNetCore.Http.Features;

namespace VoiceBridge.WebSockets;

/// <summary>
/// Wraps the upgrade of a <c>/voice</c> request so that the connection under the browser's WebSocket outlives a
/// protocol error. When a browser breaks the protocol (invalid UTF-8: close 1007), .NET's WebSocket sends its close and
/// aborts, disposing the connection's stream; closed with the browser's further frames unread, the TCP socket answers
/// them with a reset, and a reset discards the close frame the browser has not read yet: it saw 1006, not 1007. Here
/// the dispose is held back until the endpoint has lingered, reading and discarding, for the browser to go.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The connection's stream is Kestrel's; LingerAsync lets go of it early, the end of the request in any case.")]
internal sealed class LingeringUpgrade(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    private LingeringStream? _stream;

    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>Puts the wrapper in front of the WebSocket middleware for upgrade requests.</summary>
    public static IApplicationBuilder UseLingeringUpgrades(IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
            {
                context.Features.Set<IHttpUpgradeFeature>(new LingeringUpgrade(upgrade));
            }

            return next(context);
        });

    public async Task<Stream> UpgradeAsync()
    {
        var stream = await inner.UpgradeAsync().ConfigureAwait(false);
        _stream = new LingeringStream(stream);
        return _stream;
    }

    /// <summary>
    /// Reads and discards what the peer still sends, until it closes the connection or <paramref name="timeout"/> passes,
    /// then releases the connection. Call once nothing else reads the socket (the session has ended).
    /// </summary>
    public async Task LingerAsync(TimeSpan timeout, TimeProvider timeProvider)
    {
        if (_stream is not { } stream)
        {
            return;
        }

        using var expiry = new CancellationTokenSource(timeout, timeProvider);
        var buffer = new byte[1024];
        try
        {
            while (await stream.Inner.ReadAsync(buffer, expiry.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The time is up, or the connection is gone: either way there is nothing left to wait for.
        }
        finally
        {
            await stream.Inner.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The connection's stream, whose dispose by the WebSocket is deferred to <see cref="LingerAsync"/> (or to the end of the request).</summary>
    private sealed class LingeringStream(Stream inner) : Stream
    {
        public Stream Inner => inner;

        public override bool CanRead => inner.CanRead;

        public override bool CanSeek => false;

        public override bool CanWrite => inner.CanWrite;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        // Dispose is deliberately not forwarded: LingerAsync disposes the inner stream, and Kestrel releases the
        // connection when the request ends in any case.
    }
}
