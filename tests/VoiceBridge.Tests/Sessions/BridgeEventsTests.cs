using System.Text.Json;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

/// <summary><c>?bridge_events=1</c>: the bridge's own frames, in order with the conversation, only for a browser that asked.</summary>
public class BridgeEventsTests
{
    [Fact]
    public async Task AskedFor_SessionCreatedIsTheFirstFrame_ThenUpstreamAndBridgeEventsKeepTheirOrder()
    {
        await using var h = new SessionHarness(bridgeEvents: true);
        await h.StartConnectedAsync();
        await h.SendTextAsync(h.Upstream, """{"type":"session.created","event_id":"up1"}""");

        using (var created = JsonDocument.Parse(await h.ReceiveTextAsync(h.Browser)))
        {
            Assert.Equal(BridgeEvents.SessionCreated, created.RootElement.GetProperty("type").GetString());
            Assert.Equal("vb_test", created.RootElement.GetProperty("session_id").GetString());
            Assert.StartsWith("event_bridge_", created.RootElement.GetProperty("event_id").GetString());
        }

        Assert.Contains("\"up1\"", await h.ReceiveTextAsync(h.Browser));
        Assert.True(await h.Session.EmitBridgeEventAsync(BridgeEvents.ToolCallStarted, "call_1", static (w, id) => w.WriteString("call_id", id)));
        await h.SendTextAsync(h.Upstream, """{"type":"response.created","event_id":"up2"}""");

        using (var started = JsonDocument.Parse(await h.ReceiveTextAsync(h.Browser)))
        {
            Assert.Equal(BridgeEvents.ToolCallStarted, started.RootElement.GetProperty("type").GetString());
            Assert.Equal("call_1", started.RootElement.GetProperty("call_id").GetString());
        }

        Assert.Contains("\"up2\"", await h.ReceiveTextAsync(h.Browser));
    }

    [Fact]
    public async Task NotAskedFor_TheBrowserSeesOnlyTheConversation()
    {
        await using var h = new SessionHarness();
        await h.StartConnectedAsync();
        Assert.False(await h.Session.EmitBridgeEventAsync(BridgeEvents.ToolCallStarted, 0, static (_, _) => { }));
        await h.SendTextAsync(h.Upstream, """{"type":"session.created","event_id":"up1"}""");

        Assert.Equal("""{"type":"session.created","event_id":"up1"}""", await h.ReceiveTextAsync(h.Browser));
    }

    [Theory]
    [InlineData(null, true, false)]
    [InlineData("1", true, true)]
    [InlineData("true", true, true)]
    [InlineData("0", true, false)]
    [InlineData("yes", false, false)]
    [InlineData("", false, false)]
    public void Query_OnlyClearValuesAreAccepted(string? value, bool valid, bool enabled)
    {
        var values = value is null ? Microsoft.Extensions.Primitives.StringValues.Empty : new Microsoft.Extensions.Primitives.StringValues(value);
        Assert.Equal(valid, BridgeEvents.TryParseQuery(values, out var on));
        Assert.Equal(enabled, on);
    }
}
