using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Cluster;

/// <summary>
/// Opens the hop's WebSocket to the owning node. The handshake of <see cref="WebSocketClientHandshake"/> (a plain socket,
/// nothing of an HTTP stack kept for the call's life), except that a refusal's body is read too: the owner's 404, 403 or
/// 401 JSON is what the browser must get, byte for byte, before its own upgrade.
/// </summary>
internal static class ResumeHopClient
{
    /// <summary>The owner's refusals are a small JSON object; anything longer is not one of them.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    public static async Task<HopAnswer> ConnectAsync(Uri uri, IReadOnlyList<KeyValuePair<string, string>> headers, TimeSpan keepAliveInterval, TimeSpan keepAliveTimeout, CancellationToken cancellationToken)
    {
        var host = uri.IdnHost;
        Socket? socket = new(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            EndPoint endPoint = IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, uri.Port) : new DnsEndPoint(host, uri.Port);
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            socket = null;
            if (uri.Scheme is "https" or "wss")
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = host, ApplicationProtocols = [SslApplicationProtocol.Http11] }, cancellationToken).ConfigureAwait(false);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await stream.WriteAsync(WebSocketClientHandshake.BuildRequest(uri, headers, key), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

            using var received = new MemoryStream();
            var buffer = new byte[4096];
            int headEnd;
            while ((headEnd = received.GetBuffer().AsSpan(0, (int)received.Length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (received.Length > WebSocketClientHandshake.MaxResponseHeadBytes)
                {
                    throw new WebSocketHandshakeException(null, "the response head is too long");
                }

                var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new WebSocketHandshakeException(null, "the connection closed before the handshake's response");
                }

                received.Write(buffer, 0, read);
            }

            var all = received.GetBuffer().AsMemory(0, (int)received.Length);
            var head = Encoding.ASCII.GetString(all.Span[..headEnd]);
            var rest = all[(headEnd + 4)..].ToArray();
            var status = StatusOf(head);
            if (status == 101)
            {
                WebSocketClientHandshake.CheckResponse(all.Span[..headEnd], key);
                var webSocket = WebSocket.CreateFromStream(
                    rest.Length == 0 ? stream : new PrefixedStream(stream, rest),
                    new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = keepAliveInterval, KeepAliveTimeout = keepAliveTimeout });
                stream = null;
                return new HopAnswer(101, webSocket, [], null, null);
            }

            var body = await ReadBodyAsync(stream, head, rest, cancellationToken).ConfigureAwait(false);
            return new HopAnswer(status, null, body, Header(head, "Content-Type"), Header(head, "WWW-Authenticate"));
        }
        finally
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }

            socket?.Dispose();
        }
    }

    private static int StatusOf(string head)
    {
        // "HTTP/1.1 404 Not Found": the code is the second field.
        if (!head.StartsWith("HTTP/1.", StringComparison.Ordinal) || head.Length < 12 || head[8] != ' '
            || !int.TryParse(head.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            throw new WebSocketHandshakeException(null, "the response is not HTTP/1.x");
        }

        return code;
    }

    private static string? Header(string head, string name)
    {
        foreach (var line in head.Split("\r\n").Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line.AsSpan(0, colon).Trim().Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    /// <summary>The refusal's body: by <c>Content-Length</c>, chunked (Kestrel's way for a JSON result), or up to the close.</summary>
    private static async Task<byte[]> ReadBodyAsync(Stream stream, string head, byte[] start, CancellationToken cancellationToken)
    {
        var chunked = Header(head, "Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true;
        int? length = int.TryParse(Header(head, "Content-Length"), NumberStyles.None, CultureInfo.InvariantCulture, out var declared) ? declared : null;
        using var body = new MemoryStream();
        body.Write(start);
        var buffer = new byte[4096];
        while (!Complete(body, chunked, length))
        {
            if (body.Length > MaxBodyBytes)
            {
                throw new WebSocketHandshakeException(null, "the refusal's body is too long");
            }

            var read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                break;
            }

            body.Write(buffer, 0, read);
        }

        var bytes = body.ToArray();
        return chunked ? Dechunk(bytes) : length is { } n && bytes.Length > n ? bytes[..n] : bytes;
    }

    private static bool Complete(MemoryStream body, bool chunked, int? length)
    {
        var span = body.GetBuffer().AsSpan(0, (int)body.Length);
        return chunked ? span.StartsWith("0\r\n\r\n"u8) || span.IndexOf("\r\n0\r\n\r\n"u8) >= 0 : length is { } n && span.Length >= n;
    }

    private static byte[] Dechunk(byte[] chunked)
    {
        using var plain = new MemoryStream();
        var at = 0;
        while (at < chunked.Length)
        {
            var lineEnd = chunked.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var sizeText = Encoding.ASCII.GetString(chunked, at, lineEnd).Split(';')[0].Trim();
            if (!int.TryParse(sizeText, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size == 0)
            {
                break;
            }

            at += lineEnd + 2;
            plain.Write(chunked, at, Math.Min(size, chunked.Length - at));
            at += size + 2;
        }

        return plain.ToArray();
    }
}

/// <summary>The owner's answer to the hop: 101 with the socket, or a refusal's status and body.</summary>
internal sealed record HopAnswer(int Status, WebSocket? Socket, byte[] Body, string? ContentType, string? WwwAuthenticate);
