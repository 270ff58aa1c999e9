using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tests.WebSockets;

public class WebSocketClientHandshakeTests
{
    private static readonly KeyValuePair<string, string>[] Bearer = [new("Authorization", "Bearer sk-test")];

    [Fact]
    public void BuildRequest_DefaultPortAndHeaders_IsAnHttp11Upgrade()
    {
        var text = Encoding.ASCII.GetString(WebSocketClientHandshake.BuildRequest(new Uri("wss://api.example.com/v1/realtime?model=m"), Bearer, "a2V5a2V5a2V5a2V5a2V5aw=="));

        Assert.StartsWith("GET /v1/realtime?model=m HTTP/1.1\r\nHost: api.example.com\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: a2V5a2V5a2V5a2V5a2V5aw==\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nAuthorization: Bearer sk-test\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nUser-Agent: VoiceBridge/1.0\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildRequest_OtherPortAndOwnUserAgent_KeepsBoth()
    {
        var text = Encoding.ASCII.GetString(WebSocketClientHandshake.BuildRequest(new Uri("ws://[::1]:8081/x"), [new("User-Agent", "mine")], "k"));

        Assert.Contains("\r\nHost: [::1]:8081\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nUser-Agent: mine\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("VoiceBridge/1.0", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("X-Bad", "value\r\nInjected: yes")]
    [InlineData("X-Bad:", "value")]
    [InlineData("", "value")]
    public void BuildRequest_HeaderThatWouldBreakTheHead_Throws(string name, string value) =>
        Assert.Throws<ArgumentException>(() => WebSocketClientHandshake.BuildRequest(new Uri("ws://h/"), [new(name, value)], "k"));

    [Theory]
    [InlineData(401)]
    [InlineData(429)]
    [InlineData(503)]
    [InlineData(200)]
    public void CheckResponse_NotSwitchingProtocols_CarriesTheStatus(int code)
    {
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {code} Whatever\r\nContent-Length: 0");
        var e = Assert.Throws<WebSocketHandshakeException>(() => WebSocketClientHandshake.CheckResponse(head, "k"));
        Assert.Equal((HttpStatusCode)code, e.StatusCode);
    }

    [Fact]
    public void CheckResponse_WrongAccept_IsRefusedAs101()
    {
        var head = Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong");
        var e = Assert.Throws<WebSocketHandshakeException>(() => WebSocketClientHandshake.CheckResponse(head, "k"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, e.StatusCode);
    }

    [Fact]
    public void CheckResponse_SubprotocolNotOffered_IsRefused()
    {
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Accept: {WebSocketClientHandshake.ExpectedAccept("k")}\r\nSec-WebSocket-Protocol: realtime");
        Assert.Throws<WebSocketHandshakeException>(() => WebSocketClientHandshake.CheckResponse(head, "k"));
    }

    [Fact]
    public void CheckResponse_ValidUpgrade_Passes()
    {
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\nsec-websocket-accept: {WebSocketClientHandshake.ExpectedAccept("dGhlIHNhbXBsZSBub25jZQ==")}");
        WebSocketClientHandshake.CheckResponse(head, "dGhlIHNhbXBsZSBub25jZQ==");
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketClientHandshake.ExpectedAccept("dGhlIHNhbXBsZSBub25jZQ=="));
    }

    [Fact]
    public async Task ConnectAsync_ServerSendsAFrameWithItsResponse_TheFrameIsNotLost()
    {
        using var timeout = TestTimeout.Source(10);
        var ct = timeout.Token;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(
            async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                var stream = client.GetStream();
                var request = new StringBuilder();
                var buffer = new byte[4096];
                while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    request.Append(Encoding.ASCII.GetString(buffer, 0, await stream.ReadAsync(buffer, ct)));
                }

                var key = request.ToString().Split("\r\n").Single(l => l.StartsWith("Sec-WebSocket-Key: ", StringComparison.Ordinal))["Sec-WebSocket-Key: ".Length..];
                var response = Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {WebSocketClientHandshake.ExpectedAccept(key)}\r\n\r\n");

                // The response and a first text frame "hi" in one write, as a server that speaks first does.
                await stream.WriteAsync(response.Concat(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' }).ToArray(), ct);
                _ = await stream.ReadAsync(buffer, ct); // the client's close
                return request.ToString();
            },
            ct);

        using var socket = await WebSocketClientHandshake.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/v1/realtime?model=m"), Bearer, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(20), ct);
        var received = new byte[16];
        var zero = await socket.ReceiveAsync(Memory<byte>.Empty, ct);
        var result = await socket.ReceiveAsync(received.AsMemory(), ct);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);

        Assert.Equal(WebSocketMessageType.Text, zero.MessageType);
        Assert.Equal("hi", Encoding.ASCII.GetString(received, 0, result.Count));
        Assert.True(result.EndOfMessage);
        Assert.Contains("Authorization: Bearer sk-test\r\n", await server, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_ServerClosesBeforeAnswering_ThrowsWithoutStatus()
    {
        using var timeout = TestTimeout.Source(10);
        var ct = timeout.Token;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(
            async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                _ = await client.GetStream().ReadAsync(new byte[4096], ct);
            },
            ct);

        var e = await Assert.ThrowsAsync<WebSocketHandshakeException>(() => WebSocketClientHandshake.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/"), [], TimeSpan.Zero, TimeSpan.Zero, ct));
        Assert.Null(e.StatusCode);
        await server;
    }

    [Fact]
    public async Task ConnectAsync_Wss_SendsTheHostAsSniAndRefusesAnUntrustedCertificate()
    {
        using var timeout = TestTimeout.Source(10);
        var ct = timeout.Token;
        using var key = ECDsa.Create();
        using var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var server = Task.Run(
            async () =>
            {
                using var client = await listener.AcceptTcpClientAsync(ct);
                await using var tls = new SslStream(client.GetStream());
                try
                {
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, ct);
                }
                catch (Exception e) when (e is AuthenticationException or IOException)
                {
                    // The client refuses the certificate and drops the handshake.
                }

                return tls.TargetHostName;
            },
            ct);

        await Assert.ThrowsAsync<AuthenticationException>(() => WebSocketClientHandshake.ConnectAsync(new Uri($"wss://localhost:{port}/v1/realtime"), Bearer, TimeSpan.Zero, TimeSpan.Zero, ct));
        Assert.Equal("localhost", await server);
    }

    [Fact]
    public async Task PrefixedStream_ServesThePrefixFirst_ThenTheInnerStream()
    {
        using var timeout = TestTimeout.Source(10);
        await using var stream = new PrefixedStream(new MemoryStream("cd"u8.ToArray()), "ab"u8.ToArray());
        var buffer = new byte[4];

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty, timeout.Token));
        Assert.Equal(1, await stream.ReadAsync(buffer.AsMemory(0, 1), timeout.Token));
        Assert.Equal(1, await stream.ReadAsync(buffer.AsMemory(1), timeout.Token));
        Assert.Equal(2, await stream.ReadAsync(buffer.AsMemory(2), timeout.Token));
        Assert.Equal("abcd", Encoding.ASCII.GetString(buffer));
    }
}
