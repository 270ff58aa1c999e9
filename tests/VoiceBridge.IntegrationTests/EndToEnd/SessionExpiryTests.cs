using System.Net.WebSockets;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>The service's maximum session duration, shortened: the browser learns why and the bridge lets go.</summary>
public sealed class SessionExpiryTests
{
    private const string ExpiryMessage = "Your session hit the maximum duration of 500 milliseconds.";

    [Fact]
    public async Task SessionExpiry_SimulatorLimitReached_BrowserGetsSessionExpiredThenClose1001AndRegistryEmpties()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync(o => o.MaxSessionDuration = TimeSpan.FromMilliseconds(500));
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Continuity:ReconnectUpstream"] = "false" });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);

        var messages = await browser.ReadUntilClosedAsync(ct);

        Assert.Equal(["session.created", "session.updated", "error"], messages.Select(m => m.EventType));
        var error = messages[^1].Json.GetProperty("error");
        Assert.Equal("session_expired", error.GetProperty("code").GetString());
        Assert.Equal(ExpiryMessage, error.GetProperty("message").GetString());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Socket.CloseStatus);
        Assert.Equal(ExpiryMessage, browser.Socket.CloseStatusDescription);

        await bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task SessionExpiry_DuringAStreamingAnswer_EveryEventTheSimulatorSentReachesTheBrowserBeforeTheClose()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await SimulatorUpstream.StartAsync(o =>
        {
            o.MaxSessionDuration = TimeSpan.FromMilliseconds(700);
            o.DeltaInterval = TimeSpan.FromMilliseconds(20);
            o.DeltaBytes = 20 * TestAudio.BytesPerMs;
        });
        await using var bridge = new BridgeApp(upstream.Url("/v1/realtime"), new Dictionary<string, string?>
        {
            ["VoiceBridge:Session:TurnDetection"] = "none",
            ["VoiceBridge:Continuity:ReconnectUpstream"] = "false",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var socket = await upstream.NextSocketAsync(ct);

        // A 3 s answer streamed in 20 ms pieces cannot finish before the 700 ms limit.
        foreach (var frame in TestAudio.Frames(TestAudio.Voiced(3000, seed: 61)))
        {
            await browser.SendBinaryAsync(frame, ct);
        }

        await browser.SendTextAsync("""{"type":"input_audio_buffer.commit"}""", ct);
        await browser.SendTextAsync("""{"type":"response.create"}""", ct);

        var messages = await browser.ReadUntilClosedAsync(ct);

        Assert.Contains(messages, m => m.EventType == "response.output_audio.delta");
        Assert.DoesNotContain(messages, m => m.EventType == "response.done");
        Assert.Equal("error", messages[^1].EventType);
        Assert.Equal("session_expired", messages[^1].Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, browser.Socket.CloseStatus);

        // Nothing lost, nothing reordered at the close: the browser got exactly what the simulator sent.
        var sent = socket.Sent.ToList();
        Assert.Equal(sent.Count, messages.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i], messages[i].Payload);
        }

        await bridge.WaitForNoSessionsAsync(ct);
    }
}
