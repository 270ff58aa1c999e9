using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

public sealed class KeepAliveTests
{
    [Fact]
    public async Task BrowserSide_PingsArriveAtTheConfiguredInterval()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:WebSocket:KeepAliveInterval"] = "00:00:00.200",
            ["VoiceBridge:WebSocket:KeepAliveTimeout"] = "00:00:05",
        });
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);

        var started = DateTime.UtcNow;
        var pings = 0;
        while (pings < 3)
        {
            var frame = await raw.ReadFrameAsync(ct);
            Assert.NotNull(frame);
            if (frame.Opcode == RawFrame.Ping)
            {
                pings++;

                // Answer like a browser does, so the bridge keeps the session.
                await raw.SendFrameAsync(RawFrame.Pong, frame.Payload, fin: true, ct);
            }
        }

        // Three pings at a 200 ms period: well under the 20 s default, so the setting took effect.
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
        Assert.Equal(1, bridge.Registry.Count);
    }

    [Fact]
    public async Task BrowserThatNeverAnswersPings_IsDroppedAndUpstreamClosed()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:WebSocket:KeepAliveInterval"] = "00:00:00.200",
            ["VoiceBridge:WebSocket:KeepAliveTimeout"] = "00:00:00.300",
        });

        // A raw client that reads nothing and so never sends a pong.
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);

        await connection.Ended.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task UpstreamNetworkGoesDark_PingsUnansweredEndsWithUpstreamDisconnected()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:WebSocket:KeepAliveInterval"] = "00:00:00.200",
            ["VoiceBridge:WebSocket:KeepAliveTimeout"] = "00:00:00.400",

            // Today's ending: with reconnect on (the default) the bridge would replace the connection instead.
            ["VoiceBridge:Continuity:ReconnectUpstream"] = "false",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await browser.WaitForEventAsync("session.updated", ct);

        upstream.FreezeNetwork();

        var messages = await browser.ReadUntilClosedAsync(ct);
        Assert.Equal("upstream_disconnected", messages.Last().Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.InternalServerError, browser.Socket.CloseStatus);
        await bridge.WaitForNoSessionsAsync(ct);
    }
}
