using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Limits;

public sealed class LimitsTests
{
    [Fact]
    public async Task AllowedOrigins_ListedOriginAndNoOriginPass_OtherOriginGets403()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Limits:AllowedOrigins:0"] = "https://app.example.com",
            ["VoiceBridge:Limits:AllowedOrigins:1"] = "http://localhost:3000",
        });

        await using var listed = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, "Origin: https://APP.example.com");
        await using var local = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, "Origin: http://localhost:3000");
        await using var noOrigin = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        await using var evil = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, "Origin: https://evil.example.net");
        await using var lookalike = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, "Origin: https://app.example.com.evil.net");

        Assert.Equal(101, listed.Status);
        Assert.Equal(101, local.Status);
        Assert.Equal(101, noOrigin.Status);
        Assert.Equal(403, evil.Status);
        Assert.Contains("origin_not_allowed", await evil.ReadBodyAsync(ct), StringComparison.Ordinal);
        Assert.Equal(403, lookalike.Status);
    }

    [Fact]
    public async Task MaxSessions_OneMoreGets503WithRetryAfter_AndASlotFreesOnClose()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Limits:MaxSessions"] = "2",
            ["VoiceBridge:Limits:MaxSessionsPerClient"] = "10",
        });
        var first = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await using var second = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        await using (var third = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct))
        {
            Assert.Equal(503, third.Status);
            Assert.Contains("Retry-After:", third.ResponseHead, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("server_busy", await third.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        await first.DisposeAsync();
        await bridge.WaitUntilAsync(() => bridge.Registry.Count <= 1, ct);

        await using var again = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        Assert.Equal(101, again.Status);
    }

    [Fact]
    public async Task MaxSessionsPerClient_SecondFromTheSameAddressGets429()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Limits:MaxSessionsPerClient"] = "1" });
        await using var first = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        // The first session's upstream connect runs after its browser handshake: count it before the second arrives.
        await upstream.WaitForHandshakesAsync(1, ct);

        await using var second = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);

        Assert.Equal(429, second.Status);
        Assert.Contains("Retry-After:", second.ResponseHead, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("too_many_sessions", await second.ReadBodyAsync(ct), StringComparison.Ordinal);
        Assert.Equal(1, upstream.HandshakeCount);
    }

    [Fact]
    public async Task ConnectsPerMinutePerIp_ExtraUpgradesGet429_HealthChecksAreNotCounted()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Limits:ConnectsPerMinutePerIp"] = "3" });
        using var http = bridge.CreateHttpClient();
        for (var i = 0; i < 10; i++)
        {
            (await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct)).EnsureSuccessStatusCode();
        }

        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
            statuses.Add(raw.Status);
            if (raw.Status == 429)
            {
                Assert.Contains("Retry-After:", raw.ResponseHead, StringComparison.OrdinalIgnoreCase);
                Assert.Contains("rate_limited", await raw.ReadBodyAsync(ct), StringComparison.Ordinal);
            }
        }

        Assert.Equal([101, 101, 101, 429], statuses);
    }

    [Fact]
    public async Task ForwardedFor_FromATrustedProxy_SetsTheClientAddress_OtherwiseIgnored()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var trusting = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Limits:TrustedProxies:0"] = "127.0.0.1",
            ["VoiceBridge:Limits:MaxSessionsPerClient"] = "1",
        });
        await using var untrusting = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Limits:MaxSessionsPerClient"] = "1" });

        // Behind a trusted proxy, two end users are two clients.
        await using var alice = await RawWebSocketClient.ConnectAsync(trusting.VoiceUri(), ct, "X-Forwarded-For: 203.0.113.7");
        await using var bob = await RawWebSocketClient.ConnectAsync(trusting.VoiceUri(), ct, "X-Forwarded-For: 198.51.100.9");
        Assert.Equal(101, alice.Status);
        Assert.Equal(101, bob.Status);

        // The session's opening line follows its 101.
        await trusting.WaitUntilAsync(() => trusting.Logs.AllText.Contains("opened from 203.0.113.7", StringComparison.Ordinal), ct);

        // Without trusted proxies the header is just a claim: both are 127.0.0.1.
        await using var mallory = await RawWebSocketClient.ConnectAsync(untrusting.VoiceUri(), ct, "X-Forwarded-For: 203.0.113.7");
        await using var mallory2 = await RawWebSocketClient.ConnectAsync(untrusting.VoiceUri(), ct, "X-Forwarded-For: 198.51.100.9");
        Assert.Equal(101, mallory.Status);
        Assert.Equal(429, mallory2.Status);
        Assert.DoesNotContain("opened from 203.0.113.7", untrusting.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxSessionDuration_EndsWithSessionExpiredAndClose1000()
    {
        var ct = TestTimeout.Token();
        var clock = new FakeTimeProvider();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Limits:MaxSessionDuration"] = "00:00:00.600" }, timeProvider: clock);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(1, ct); // the session runs: its session.update went upstream

        // A millisecond short of the limit the session stays (a browser frame still goes through); at the limit it ends.
        clock.Advance(TimeSpan.FromMilliseconds(599));
        await browser.SendBinaryAsync(new byte[960], ct);
        await connection.Socket.WaitForFramesAsync(2, ct);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var messages = await browser.ReadUntilClosedAsync(ct);

        Assert.Equal("session_expired", messages.Last().Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.Socket.CloseStatus);
        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task IdleTimeout_SilentBrowserClosedWithIdleTimeout_ActiveBrowserKept()
    {
        var ct = TestTimeout.Token();
        var clock = new FakeTimeProvider();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Limits:IdleTimeout"] = "00:00:00.800" }, timeProvider: clock);
        await using var active = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var activeUpstream = await upstream.NextConnectionAsync(ct);
        await using var silent = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var silentUpstream = await upstream.NextConnectionAsync(ct);
        await activeUpstream.Socket.WaitForFramesAsync(1, ct);
        await silentUpstream.Socket.WaitForFramesAsync(1, ct);

        // 1.2 s pass in 300 ms steps; the active browser sends a frame in each (seen upstream before the clock moves on).
        var sent = 1;
        var silentEnded = silent.ReadUntilClosedAsync(ct);
        for (var step = 0; step < 4; step++)
        {
            await active.SendBinaryAsync(new byte[960], ct);
            await activeUpstream.Socket.WaitForFramesAsync(++sent, ct);
            clock.Advance(TimeSpan.FromMilliseconds(300));
        }

        var silentMessages = await silentEnded;

        Assert.Equal("idle_timeout", silentMessages.Last().Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, silent.Socket.CloseStatus);
        Assert.Equal(WebSocketState.Open, active.Socket.State);
    }

    [Fact]
    public async Task SlowlorisUpgrade_HeadersNeverFinished_ConnectionDroppedByTheHeaderTimeout()
    {
        var ct = TestTimeout.Token(30);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["Kestrel:Limits:RequestHeadersTimeout"] = "00:00:01" });
        var uri = bridge.VoiceUri();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(uri.Host, uri.Port, ct);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /voice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"), ct);

        // Never finish the headers: the server must give up on its own.
        var started = DateTime.UtcNow;
        var buffer = new byte[1024];
        try
        {
            while (await stream.ReadAsync(buffer, ct) > 0)
            {
            }
        }
        catch (IOException)
        {
            // Reset by the server: also a drop.
        }

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the half-finished upgrade was kept open");
        Assert.Equal(0, upstream.HandshakeCount);
    }
}
