using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

/// <summary><c>?bridge_events=1</c> over a real upgrade: the bridge's first frame, and refusal of a value it does not know.</summary>
public sealed class BridgeEventsTests
{
    [Fact]
    public async Task BridgeEventsAskedFor_FirstFrameIsBridgeSessionCreated_ThenTheServiceEvents()
    {
        var ct = TestTimeout.Token();
        await using var scene = await BridgedSession.StartAsync(ct, query: "?bridge_events=1");
        await scene.Connection.SendTextAsync("""{"type":"session.created","event_id":"event_up"}""", ct);

        var first = await scene.Browser.ReceiveAsync(ct);
        Assert.Equal("bridge.session.created", first!.EventType);
        Assert.StartsWith("vb_", first.Json.GetProperty("session_id").GetString());
        var second = await scene.Browser.ReceiveAsync(ct);
        Assert.Equal("session.created", second!.EventType);
    }

    [Fact]
    public async Task UnknownBridgeEventsValue_IsRejectedBeforeTheUpgrade()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri("?bridge_events=maybe"), ct);

        Assert.Equal(400, raw.Status);
        Assert.Equal(0, upstream.HandshakeCount);
    }
}
