using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

/// <summary>Close codes relayed as they are: with upstream reconnect off (on, 1001/1011 and drops replace the connection instead).</summary>
public sealed class ClosePropagationTests
{
    private static readonly Dictionary<string, string?> ReconnectOff = new() { ["VoiceBridge:Continuity:ReconnectUpstream"] = "false" };

    [Theory]
    [InlineData(1000, "done")]
    [InlineData(1001, "Your session hit the maximum duration of 60 minutes.")]
    [InlineData(1011, "server error")]
    [InlineData(4000, "invalid_request_error.beta_api_shape_disabled")]
    public async Task UpstreamClosesWithCode_BrowserClosedWithSameCodeAndReason(int code, string reason)
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct, settings: ReconnectOff);
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        await connection.CloseAsync((WebSocketCloseStatus)code, reason, ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        Assert.Empty(messages);
        Assert.Equal((WebSocketCloseStatus)code, browser.Socket.CloseStatus);
        Assert.Equal(reason, browser.Socket.CloseStatusDescription);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task UpstreamSendsReservedCode1005OnTheWire_TreatedAsADisconnect()
    {
        // .NET writes WebSocketCloseStatus.Empty as 1005, which RFC 6455 forbids on the wire: the bridge's
        // upstream socket rejects it as a protocol error, and the browser hears upstream_disconnected.
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct, settings: ReconnectOff);
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        await connection.CloseAsync(WebSocketCloseStatus.Empty, null, ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        Assert.Equal("upstream_disconnected", messages.Single().Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.InternalServerError, browser.Socket.CloseStatus);
    }

    [Fact]
    public async Task BrowserSendsEmptyCloseFrame_GetsAValidCloseBack()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(1, ct);

        await raw.SendFrameAsync(RawFrame.Close, [], fin: true, ct);

        var close = await raw.ReadFrameAsync(ct);
        Assert.Equal(RawFrame.Close, close!.Opcode);
        Assert.Equal(1000, close.CloseCode);
        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
    }

    /// <summary>
    /// A client that keeps sending after its invalid UTF-8 must still read the 1007: a server that closes its TCP socket
    /// with unread input makes the kernel answer with a reset, and the reset discards the close frame the client has
    /// not read yet (it saw 1006). The bridge lingers, reading, until the client's close or <c>CloseTimeout</c>.
    /// </summary>
    [Fact]
    public async Task BrowserSendsInvalidUtf8ThenKeepsSending_StillReadsThe1007Close()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(1, ct);

        await raw.SendFrameAsync(RawFrame.Text, [0x7B, 0xC3, 0x28, 0x7D], fin: true, ct);

        // The client has not noticed yet: it goes on sending, without reading, until well after the bridge's close
        // (the upstream's close answer says the bridge has decided and closed).
        var clear = System.Text.Encoding.UTF8.GetBytes("""{"type":"input_audio_buffer.clear"}""");
        await connection.Ended.WaitAsync(ct);
        for (var i = 0; i < 50; i++)
        {
            await raw.SendFrameAsync(RawFrame.Text, clear, fin: true, ct);
            await Task.Delay(5, ct);
        }

        var close = await raw.ReadFrameAsync(ct);
        Assert.NotNull(close);
        Assert.Equal(RawFrame.Close, close!.Opcode);
        Assert.Equal(1007, close.CloseCode);
        await raw.SendCloseAsync(1000, ct);
    }

    [Fact]
    public async Task UpstreamSendsFinalEventsThenCloses_BrowserGetsEveryEventBeforeTheClose()
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct, settings: new Dictionary<string, string?> { ["VoiceBridge:WebSocket:QueueCapacity"] = "8", ["VoiceBridge:Continuity:ReconnectUpstream"] = "false" });
        var (upstream, bridge, browser, connection) = (scene.Upstream, scene.Bridge, scene.Browser, scene.Connection);

        for (var i = 0; i < 200; i++)
        {
            await connection.SendTextAsync($$"""{"type":"response.output_audio.delta","seq":{{i}},"delta":"AAAA"}""", ct);
        }

        await connection.CloseAsync((WebSocketCloseStatus)1001, "session expired", ct);

        var messages = await browser.ReadUntilClosedAsync(ct);
        Assert.Equal(Enumerable.Range(0, 200), messages.Select(m => m.Json.GetProperty("seq").GetInt32()));
        Assert.Equal((WebSocketCloseStatus)1001, browser.Socket.CloseStatus);
    }

    [Fact]
    public async Task BrowserCloseWithGoingAway_UpstreamClosedWith1000_BrowserGetsItsCodeBack()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await browser.WaitForEventAsync("session.created", ct);

        await browser.Socket.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "tab closed", ct);

        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Socket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
        await browser.DisposeAsync();
    }

    [Fact]
    public async Task BrowserVanishesWithoutClose_UpstreamClosedAndSessionReleased()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(1, ct);
        Assert.Equal(1, bridge.Registry.Count);

        await raw.DisposeAsync();

        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task BrowserClosesWhileUpstreamStillConnecting_ConnectAbandonedAndNothingLeaks()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.AcceptDelay = TimeSpan.FromSeconds(30);
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Upstream:ConnectTimeout"] = "00:00:20" });
        var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await upstream.WaitForHandshakesAsync(1, ct);

        await browser.Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, ct);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, browser.Socket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
        Assert.Equal(1, upstream.HandshakeCount);
        await browser.DisposeAsync();
    }
}
