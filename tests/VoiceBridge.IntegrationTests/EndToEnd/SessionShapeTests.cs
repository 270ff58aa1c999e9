using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>The bridge's own <c>session.update</c>, in each shape, as the simulator takes it and the browser sees the answer.</summary>
public sealed class SessionShapeTests
{
    private const string Instructions = "Speak like a lighthouse keeper: \"short\", calm — and kind.";

    [Fact]
    public async Task SessionShape_GaDefault_SessionUpdatedReflectsTheConfiguredSession()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Session:Voice"] = "cedar",
            ["VoiceBridge:Session:Instructions"] = Instructions,
            ["VoiceBridge:Session:TurnDetection"] = "none",
            ["VoiceBridge:Session:TranscriptionModel"] = "gpt-4o-transcribe",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var conversation = new BrowserConversation(browser);

        var updated = await conversation.WaitForAsync(e => e.Type is "session.updated" or "error", ct);

        Assert.Equal(["session.created", "session.updated"], conversation.Types);
        var session = updated.Json.GetProperty("session");
        Assert.Equal("realtime", session.GetProperty("type").GetString());
        Assert.Equal(Instructions, session.GetProperty("instructions").GetString());
        Assert.Equal("cedar", session.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        var input = session.GetProperty("audio").GetProperty("input");
        Assert.Equal(JsonValueKind.Null, input.GetProperty("turn_detection").ValueKind);
        Assert.Equal("gpt-4o-transcribe", input.GetProperty("transcription").GetProperty("model").GetString());
        Assert.Equal("audio/pcm", input.GetProperty("format").GetProperty("type").GetString());
        Assert.Equal(24000, input.GetProperty("format").GetProperty("rate").GetInt32());
    }

    [Fact]
    public async Task SessionShape_BetaOnAzurePreviewDeployment_ApiKeyHeaderFlatSessionAndSessionUpdated()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await SimulatorUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url("/openai/realtime?api-version=2025-04-01-preview&deployment=my-dep"), new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Azure",
            ["VoiceBridge:Upstream:SessionShape"] = "Beta",
            ["VoiceBridge:Session:Voice"] = "verse",
            ["VoiceBridge:Session:Instructions"] = Instructions,
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var conversation = new BrowserConversation(browser);

        var updated = await conversation.WaitForAsync(e => e.Type is "session.updated" or "error", ct);

        // Azure credentials, and the deployment selects the model: no model=, no Authorization, no OpenAI-Beta.
        var handshake = Assert.Single(upstream.Handshakes);
        Assert.Equal("/openai/realtime?api-version=2025-04-01-preview&deployment=my-dep", handshake.PathAndQuery);
        Assert.Equal(BridgeApp.TestApiKey, handshake.Headers["api-key"]);
        Assert.False(handshake.Headers.ContainsKey("Authorization"));
        Assert.False(handshake.Headers.ContainsKey("OpenAI-Beta"));

        // The first upstream frame is the flat beta session.
        var socket = await upstream.NextSocketAsync(ct);
        using var first = JsonDocument.Parse(socket.Received.First());
        Assert.Equal("session.update", first.RootElement.GetProperty("type").GetString());
        var sent = first.RootElement.GetProperty("session");
        Assert.False(sent.TryGetProperty("type", out _));
        Assert.False(sent.TryGetProperty("audio", out _));
        Assert.Equal("verse", sent.GetProperty("voice").GetString());
        Assert.Equal("pcm16", sent.GetProperty("input_audio_format").GetString());
        Assert.Equal("pcm16", sent.GetProperty("output_audio_format").GetString());
        Assert.Equal(["text", "audio"], sent.GetProperty("modalities").EnumerateArray().Select(m => m.GetString()));

        // The preview deployment accepts it: session.updated in the beta shape, not an error.
        Assert.Equal(["session.created", "session.updated"], conversation.Types);
        Assert.Equal("my-dep", conversation.Events[0].StringAt("session", "model"));
        var session = updated.Json.GetProperty("session");
        Assert.Equal("verse", session.GetProperty("voice").GetString());
        Assert.Equal(Instructions, session.GetProperty("instructions").GetString());
        Assert.Equal("server_vad", session.GetProperty("turn_detection").GetProperty("type").GetString());
        Assert.False(session.TryGetProperty("audio", out _));
    }

    [Fact]
    public async Task SessionShape_BetaAgainstGaEndpoint_SimulatorErrorForwardedUntouchedAndSessionStaysOpen()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await SimulatorUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url("/v1/realtime"), new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:SessionShape"] = "Beta",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var conversation = new BrowserConversation(browser);
        var socket = await upstream.NextSocketAsync(ct);

        var error = await conversation.WaitForAsync(e => e.Type is "session.updated" or "error", ct);

        // GA refuses the beta shape. It lacks the required session.type, which the simulator (like §2.1) reports
        // before looking at the beta-only fields; the error names the bridge's own session.update.
        Assert.Equal("error", error.Type);
        Assert.Equal("invalid_request_error", error.StringAt("error", "type"));
        Assert.Equal("missing_required_parameter", error.StringAt("error", "code"));
        Assert.Equal("session.type", error.StringAt("error", "param"));
        Assert.Equal("event_voicebridge_session", error.StringAt("error", "event_id"));
        Assert.Contains(socket.Sent, sent => sent.AsSpan().SequenceEqual(error.Payload));

        // Not fatal: the session keeps serving the browser.
        await browser.SendTextAsync("""{"type":"input_audio_buffer.clear"}""", ct);
        await conversation.WaitForAsync("input_audio_buffer.cleared", ct);
        Assert.Equal(WebSocketState.Open, browser.Socket.State);
        Assert.Equal(1, bridge.Registry.Count);
    }
}
