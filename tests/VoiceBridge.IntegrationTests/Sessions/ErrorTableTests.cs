using System.Net.WebSockets;
using System.Text;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

/// <summary>Every row of CONTRACT.md's "Errors the bridge itself sends", over real sockets.</summary>
public sealed class ErrorTableTests
{
    private static void AssertError(BrowserMessage? message, string code)
    {
        Assert.NotNull(message);
        Assert.Equal("error", message.EventType);
        var error = message.Json.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.StartsWith("event_", message.Json.GetProperty("event_id").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[]")]
    [InlineData("{\"type\":42}")]
    [InlineData("{\"no_type\":\"x\"}")]
    [InlineData("{\"type\":\"response.create\"")]
    [InlineData("{\"type\":\"response.create\"} trailing")]
    public async Task InvalidTextFrame_GetsInvalidEventAndIsNotForwarded_SessionStaysOpen(string frame)
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct);
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        await browser.SendTextAsync(frame, ct);
        AssertError(await browser.ReceiveAsync(ct), "invalid_event");

        // Still open: a valid frame goes through, and it is the only one after session.update.
        await browser.SendTextAsync("""{"type":"input_audio_buffer.clear"}""", ct);
        await connection.Socket.WaitForFramesAsync(2, ct);
        Assert.Equal(2, connection.Received.Count);
        Assert.Equal("""{"type":"input_audio_buffer.clear"}""", connection.Received.Last().Text);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4801)]
    public async Task EmptyOrOddBinaryFrame_GetsInvalidAudioFrame_SessionStaysOpen(int length)
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct);
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        await browser.SendBinaryAsync(new byte[length], ct);
        AssertError(await browser.ReceiveAsync(ct), "invalid_audio_frame");

        await browser.SendBinaryAsync(new byte[960], ct);
        await connection.Socket.WaitForFramesAsync(2, ct);
        Assert.Equal(2, connection.Received.Count);
        Assert.Contains("input_audio_buffer.append", connection.Received.Last().Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FrameOverMaxMessageBytes_GetsMessageTooBigAndClose1009_UpstreamClosed()
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct, settings: new Dictionary<string, string?> { ["VoiceBridge:WebSocket:MaxMessageBytes"] = "16384" });
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        // Exactly at the limit passes; one byte over does not.
        var shell = """{"type":"conversation.item.create","pad":""}""";
        var atLimit = shell.Replace("\"\"}", "\"" + new string('a', 16384 - shell.Length) + "\"}", StringComparison.Ordinal);
        Assert.Equal(16384, Encoding.UTF8.GetByteCount(atLimit));
        await browser.SendTextAsync(atLimit, ct);
        await connection.Socket.WaitForFramesAsync(2, ct);

        await browser.SendTextAsync(atLimit[..^2] + "aa\"}", ct);
        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Single(), "message_too_big");
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, browser.Socket.CloseStatus);
        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        Assert.Equal(2, connection.Received.Count);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task FragmentedMessageOverTheLimit_IsCaughtAcrossFragments()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:WebSocket:MaxMessageBytes"] = "4096" });
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        Assert.Equal(101, raw.Status);

        // Five fragments of 1000 bytes: each is small, the message is not.
        var chunk = Encoding.ASCII.GetBytes(new string(' ', 1000));
        await raw.SendFrameAsync(RawFrame.Text, Encoding.ASCII.GetBytes("{\"type\":\"x\",\"p\":\""), fin: false, ct);
        for (var i = 0; i < 5; i++)
        {
            await raw.SendFrameAsync(RawFrame.Continuation, chunk, fin: false, ct);
        }

        var error = await raw.ReadFrameAsync(ct);
        Assert.NotNull(error);
        Assert.Contains("message_too_big", Encoding.UTF8.GetString(error.Payload), StringComparison.Ordinal);
        var close = await raw.ReadFrameAsync(ct);
        Assert.Equal(RawFrame.Close, close!.Opcode);
        Assert.Equal(1009, close.CloseCode);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    public async Task UpstreamRejectsKey_GetsUpstreamAuthFailedAndClose1011_WithoutRetry(int status)
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RejectNext(int.MaxValue, status);
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Single(), "upstream_auth_failed");
        Assert.Equal(WebSocketCloseStatus.InternalServerError, browser.Socket.CloseStatus);
        Assert.Equal(1, upstream.HandshakeCount);
        Assert.DoesNotContain(BridgeApp.TestApiKey, messages.Single().Text, StringComparison.Ordinal);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task UpstreamRateLimits_RetriedThenUpstreamRateLimitedAndClose1013()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RejectNext(int.MaxValue, 429);
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Upstream:ConnectAttempts"] = "3" });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Single(), "upstream_rate_limited");
        Assert.Equal((WebSocketCloseStatus)1013, browser.Socket.CloseStatus);
        Assert.Equal(3, upstream.HandshakeCount);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    public async Task Upstream5xx_RetriedThenUpstreamUnavailableAndClose1013(int status)
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RejectNext(int.MaxValue, status);
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Upstream:ConnectAttempts"] = "4" });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Single(), "upstream_unavailable");
        Assert.Equal((WebSocketCloseStatus)1013, browser.Socket.CloseStatus);
        Assert.Equal(4, upstream.HandshakeCount);
    }

    [Fact]
    public async Task UpstreamFailsTwiceThenAccepts_SessionWorks()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RejectNext(2, 503);
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var created = await browser.WaitForEventAsync("session.created", ct);
        Assert.NotNull(created);
        Assert.Equal(3, upstream.HandshakeCount);
    }

    [Fact]
    public async Task UpstreamUnreachable_GetsUpstreamUnavailableAndClose1013()
    {
        var ct = TestTimeout.Token();
        var closedPort = new Uri($"ws://127.0.0.1:{FreePort()}/v1/realtime");
        await using var bridge = new BridgeApp(closedPort, new Dictionary<string, string?> { ["VoiceBridge:Upstream:ConnectAttempts"] = "2" });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Single(), "upstream_unavailable");
        Assert.Equal((WebSocketCloseStatus)1013, browser.Socket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task UpstreamHandshakeTooSlow_TimesOutPerAttemptThenUpstreamUnavailable()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.AcceptDelay = TimeSpan.FromSeconds(30);
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:ConnectTimeout"] = "00:00:00.300",
            ["VoiceBridge:Upstream:ConnectAttempts"] = "2",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Single(), "upstream_unavailable");
        Assert.Equal(2, upstream.HandshakeCount);
    }

    [Fact]
    public async Task UpstreamDropsTcpWithoutClose_GetsUpstreamDisconnectedAndClose1011()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Continuity:ReconnectUpstream"] = "false" });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await browser.WaitForEventAsync("session.created", ct);

        connection.DropTcp();

        var messages = await browser.ReadUntilClosedAsync(ct);
        AssertError(messages.Last(), "upstream_disconnected");
        Assert.Equal(WebSocketCloseStatus.InternalServerError, browser.Socket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task BrowserLeavesQueueFull_GetsSlowConsumerAndClose1008()
    {
        var ct = TestTimeout.Token(40);
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:WebSocket:QueueCapacity"] = "4",
            ["VoiceBridge:WebSocket:SlowClientTimeout"] = "00:00:01",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);

        // The browser reads nothing while the service streams far more than socket buffers hold.
        var big = $$"""{"type":"response.output_audio.delta","delta":"{{new string('A', 256 * 1024)}}"}""";
        using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var flood = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 400 && !stopFlood.IsCancellationRequested; i++)
                {
                    await connection.SendTextAsync(big, stopFlood.Token);
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
                // The bridge closed the upstream socket: expected.
            }
        }, ct);

        await connection.Ended.WaitAsync(ct);
        var messages = await browser.ReadUntilClosedAsync(ct);
        await stopFlood.CancelAsync();
        await flood;

        AssertError(messages.Last(), "slow_consumer");
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, browser.Socket.CloseStatus);
        Assert.True(messages.Count < 400, "frames kept flowing past the slow-consumer limit");
        await bridge.WaitForNoSessionsAsync(ct);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
