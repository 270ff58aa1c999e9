using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.WebSockets;

/// <summary>
/// The client side of the RFC 6455 opening handshake over a plain socket (or TLS for <c>wss://</c>), then
/// <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>. The same protocol as
/// <see cref="ClientWebSocket"/> without its HTTP stack: a <see cref="ClientWebSocket"/> keeps its HTTP/1.1
/// connection (its buffers, a connection pool, the request and its headers) for the socket's whole life; see the
/// heap census in bench/README.md. Nothing here outlives the handshake but the socket, its stream and the WebSocket.
/// </summary>
internal static class WebSocketClientHandshake
{
    /// <summary>As <c>SocketsHttpHandler.MaxResponseHeadersLength</c> (64 KB): a longer head is refused.</summary>
    public const int MaxResponseHeadBytes = 64 * 1024;

    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>
    /// Connects and upgrades, or throws <see cref="WebSocketHandshakeException"/> (with the HTTP status when the
    /// server answered one), a socket or I/O exception, or <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<WebSocket> ConnectAsync(
        Uri uri,
        IReadOnlyList<KeyValuePair<string, string>> headers,
        TimeSpan keepAliveInterval,
        TimeSpan keepAliveTimeout,
        CancellationToken cancellationToken)
    {
        var secure = uri.Scheme == Uri.UriSchemeWss;
        Socket? socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            var host = uri.IdnHost;
            EndPoint endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, uri.Port) : new DnsEndPoint(host, uri.Port);
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            socket = null;
            if (secure)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = host,
                        ApplicationProtocols = [SslApplicationProtocol.Http11],
                    },
                    cancellationToken).ConfigureAwait(false);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            var request = BuildRequest(uri, headers, key);
            await stream.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

            var leftover = await ReadResponseAsync(stream, key, cancellationToken).ConfigureAwait(false);
            var webSocket = WebSocket.CreateFromStream(
                leftover.Length == 0 ? stream : new PrefixedStream(stream, leftover),
                new WebSocketCreationOptions
                {
                    IsServer = false,
                    KeepAliveInterval = keepAliveInterval,
                    KeepAliveTimeout = keepAliveTimeout,
                });
            stream = null;
            return webSocket;
        }
        finally
        {
            // Not handed over (a failure or a cancellation): the stream owns the socket once it exists.
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            socket?.Dispose();
        }
    }

    /// <summary>The request head, ASCII: what <see cref="ClientWebSocket"/> sends for HTTP/1.1, plus the caller's headers.</summary>
    internal static byte[] BuildRequest(Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, string key)
    {
        var host = uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.IdnHost + "]" : uri.IdnHost;
        var builder = new StringBuilder(256)
            .Append("GET ").Append(uri.PathAndQuery).Append(" HTTP/1.1\r\n")
            .Append("Host: ").Append(host);
        if (!uri.IsDefaultPort)
        {
            builder.Append(':').Append(uri.Port);
        }

        builder.Append("\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ").Append(key).Append("\r\n");
        var userAgentSet = false;
        foreach (var (name, value) in headers)
        {
            if (name.Length == 0 || name.AsSpan().IndexOfAny(":\r\n ") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0 || !Ascii.IsValid(name) || !Ascii.IsValid(value))
            {
                throw new ArgumentException("An upstream request header has an invalid name or value.", nameof(headers));
            }

            userAgentSet |= name.Equals("User-Agent", StringComparison.OrdinalIgnoreCase);
            builder.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        if (!userAgentSet)
        {
            builder.Append("User-Agent: VoiceBridge/1.0\r\n");
        }

        return Encoding.ASCII.GetBytes(builder.Append("\r\n").ToString());
    }

    /// <summary>Reads the response head; returns the bytes read beyond it (frames the server sent at once).</summary>
    private static async Task<byte[]> ReadResponseAsync(Stream stream, string key, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            var count = 0;
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, count).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (count == buffer.Length)
                {
                    if (count >= MaxResponseHeadBytes)
                    {
                        throw new WebSocketHandshakeException(null, "the response head is too long");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent(count * 2);
                    buffer.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new WebSocketHandshakeException(null, "the connection closed before the handshake's response");
                }

                count += read;
            }

            CheckResponse(buffer.AsSpan(0, headEnd), key);
            return buffer.AsSpan(headEnd + 4, count - headEnd - 4).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The status line and the three headers RFC 6455 requires of a 101; nothing negotiated that was not asked for.</summary>
    internal static void CheckResponse(ReadOnlySpan<byte> head, string key)
    {
        var lineEnd = head.IndexOf("\r\n"u8);
        var statusLine = lineEnd < 0 ? head : head[..lineEnd];

        // "HTTP/1.1 101 Switching Protocols": the code is the second field.
        if (!statusLine.StartsWith("HTTP/1."u8) || statusLine.Length < 12 || statusLine[8] != (byte)' '
            || !int.TryParse(statusLine.Slice(9, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code))
        {
            throw new WebSocketHandshakeException(null, "the response is not HTTP/1.x");
        }

        if (code != 101)
        {
            throw new WebSocketHandshakeException((HttpStatusCode)code, $"the server returned status code '{code}' when status code '101' was expected");
        }

        var upgrade = false;
        var connection = false;
        string? accept = null;
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf("\r\n"u8);
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = Encoding.ASCII.GetString(line[..colon]);
            var value = Encoding.ASCII.GetString(line[(colon + 1)..]).Trim();
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value.Equals("websocket", StringComparison.OrdinalIgnoreCase);
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection = value.Split(',').Any(token => token.Trim().Equals("Upgrade", StringComparison.OrdinalIgnoreCase));
            }
            else if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
            else if (name.Equals("Sec-WebSocket-Protocol", StringComparison.OrdinalIgnoreCase) || name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase))
            {
                throw new WebSocketHandshakeException(HttpStatusCode.SwitchingProtocols, $"the server selected a {name} that was not offered");
            }
        }

        if (!upgrade || !connection || accept != ExpectedAccept(key))
        {
            throw new WebSocketHandshakeException(HttpStatusCode.SwitchingProtocols, "the server's 101 is not a valid WebSocket upgrade");
        }
    }

    // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept; it proves the server read the key, it protects nothing.
#pragma warning disable CA5350
    internal static string ExpectedAccept(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
}
