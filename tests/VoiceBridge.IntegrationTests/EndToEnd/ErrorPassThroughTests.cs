using System.Net.WebSockets;
using System.Text;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>The service's own errors are not the bridge's business: they travel both ways untouched.</summary>
public sealed class ErrorPassThroughTests
{
    [Fact]
    public async Task UnknownEventType_ForwardedUpstream_SimulatorInvalidValueReachesTheBrowserByteForByte()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await SimulatorUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url("/v1/realtime"));
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var conversation = new BrowserConversation(browser);
        var socket = await upstream.NextSocketAsync(ct);

        // Valid JSON with a string type, so the bridge has no reason to refuse it; odd spacing must survive too.
        var unknown = Encoding.UTF8.GetBytes("""{ "type":"conversation.teleport", "event_id":"evt_client_7", "to":"Mars" }""");
        await browser.Socket.SendAsync(unknown, WebSocketMessageType.Text, true, ct);

        var error = await conversation.WaitForAsync("error", ct);

        Assert.Contains(socket.Received, frame => frame.AsSpan().SequenceEqual(unknown));
        Assert.Equal("invalid_request_error", error.StringAt("error", "type"));
        Assert.Equal("invalid_value", error.StringAt("error", "code"));
        Assert.Equal("type", error.StringAt("error", "param"));
        Assert.Equal("evt_client_7", error.StringAt("error", "event_id"));
        Assert.StartsWith("event_", error.StringAt("event_id"), StringComparison.Ordinal);
        Assert.Contains(socket.Sent, sent => sent.AsSpan().SequenceEqual(error.Payload));

        // Still open: the next turn works.
        await browser.SendTextAsync("""{"type":"input_audio_buffer.clear"}""", ct);
        await conversation.WaitForAsync("input_audio_buffer.cleared", ct);
        Assert.DoesNotContain(conversation.Events, e => e.Type == "error" && e != error);
    }
}
