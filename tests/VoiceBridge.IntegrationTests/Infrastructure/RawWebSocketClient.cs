using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>One frame as it crossed the wire.</summary>
public sealed record RawFrame(bool Fin, int Opcode, byte[] Payload)
{
    public const int Continuation = 0x0;
    public const int Text = 0x1;
    public const int Binary = 0x2;
    public const int Close = 0x8;
    public const int Ping = 0x9;
    public const int Pong = 0xA;

    public int CloseCode => Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : 1005;
}

/// <summary>
/// A WebSocket client at the frame level, for what <see cref="System.Net.WebSockets.ClientWebSocket"/> hides:
/// seeing the bridge's pings, not answering them, sending fragmented messages with control frames in between,
/// and reading the raw 101/4xx handshake answer.
/// </summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;

    private RawWebSocketClient(TcpClient tcp, int status, string responseHead)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        Status = status;
        ResponseHead = responseHead;
    }

    public int Status { get; }

    public string ResponseHead { get; }

    public static async Task<RawWebSocketClient> ConnectAsync(Uri uri, CancellationToken cancellationToken, params string[] extraHeaders)
    {
        // No Nagle: a frame written while the previous one awaits its ACK must not wait ~40 ms for it.
        var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(uri.Host, uri.Port, cancellationToken);
        var stream = tcp.GetStream();
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        var request = new StringBuilder()
            .Append($"GET {uri.PathAndQuery} HTTP/1.1\r\n")
            .Append($"Host: {uri.Host}:{uri.Port}\r\n")
            .Append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .Append($"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n");
        foreach (var header in extraHeaders)
        {
            request.Append(header).Append("\r\n");
        }

        request.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken);

        // Read the response head byte by byte so no frame bytes are consumed.
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                break;
            }

            head.Append((char)one[0]);
        }

        var text = head.ToString();
        var status = int.Parse(text.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        return new RawWebSocketClient(tcp, status, text);
    }

    /// <summary>The body of a refused (non-101) handshake: by Content-Length, or chunked.</summary>
    public async Task<string> ReadBodyAsync(CancellationToken cancellationToken)
    {
        var headers = ResponseHead.Split("\r\n");
        var lengthLine = headers.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            var body = new byte[int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture)];
            await _stream.ReadExactlyAsync(body, cancellationToken);
            return Encoding.UTF8.GetString(body);
        }

        // Transfer-Encoding: chunked: "<hex size>\r\n<data>\r\n" … "0\r\n\r\n".
        using var all = new MemoryStream();
        while (true)
        {
            var sizeLine = await ReadLineAsync(cancellationToken);
            var size = int.Parse(sizeLine.Split(';')[0], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
            if (size == 0)
            {
                return Encoding.UTF8.GetString(all.ToArray());
            }

            var chunk = new byte[size];
            await _stream.ReadExactlyAsync(chunk, cancellationToken);
            all.Write(chunk);
            await ReadLineAsync(cancellationToken);
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (!line.ToString().EndsWith("\r\n", StringComparison.Ordinal))
        {
            await _stream.ReadExactlyAsync(one, cancellationToken);
            line.Append((char)one[0]);
        }

        return line.ToString()[..^2];
    }

    public async Task SendFrameAsync(int opcode, byte[] payload, bool fin, CancellationToken cancellationToken)
    {
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        if (payload.Length < 126)
        {
            header.Add((byte)(0x80 | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.Add(0x80 | 126);
            header.Add((byte)(payload.Length >> 8));
            header.Add((byte)payload.Length);
        }
        else
        {
            header.Add(0x80 | 127);
            var length = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(length, (ulong)payload.Length);
            header.AddRange(length);
        }

        var mask = RandomNumberGenerator.GetBytes(4);
        header.AddRange(mask);
        var masked = new byte[payload.Length];
        for (var i = 0; i < payload.Length; i++)
        {
            masked[i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        // One write per frame, as a browser does.
        header.AddRange(masked);
        await _stream.WriteAsync(header.ToArray(), cancellationToken);
    }

    public Task SendCloseAsync(int code, CancellationToken cancellationToken)
    {
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        return SendFrameAsync(RawFrame.Close, payload, fin: true, cancellationToken);
    }

    /// <summary>The next frame, or null when the connection ended.</summary>
    public async Task<RawFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var head = new byte[2];
        if (!await ReadExactlyAsync(head, cancellationToken))
        {
            return null;
        }

        var fin = (head[0] & 0x80) != 0;
        var opcode = head[0] & 0x0F;
        long length = head[1] & 0x7F;
        if (length == 126)
        {
            var extended = new byte[2];
            await ReadExactlyAsync(extended, cancellationToken);
            length = BinaryPrimitives.ReadUInt16BigEndian(extended);
        }
        else if (length == 127)
        {
            var extended = new byte[8];
            await ReadExactlyAsync(extended, cancellationToken);
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        }

        var payload = new byte[length];
        if (!await ReadExactlyAsync(payload, cancellationToken))
        {
            return null;
        }

        return new RawFrame(fin, opcode, payload);
    }

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
