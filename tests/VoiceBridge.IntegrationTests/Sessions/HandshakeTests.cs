using System.Net;
using System.Text;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

/// <summary>What crosses each handshake: the bridge's credentials upstream, nothing of the browser's.</summary>
public sealed class HandshakeTests
{
    [Fact]
    public async Task OpenAIProvider_SendsBearerKeyAndModel_NeverTheBetaHeaderOrBrowserHeaders()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Upstream:Model"] = "gpt-realtime-mini" });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct, options =>
        {
            options.SetRequestHeader("Cookie", "session=browser-cookie-value");
            options.SetRequestHeader("Authorization", "Bearer browser-token-value");
            options.SetRequestHeader("OpenAI-Beta", "realtime=v1");
        });
        await browser.WaitForEventAsync("session.created", ct);

        var handshake = Assert.Single(upstream.Handshakes);
        Assert.Equal($"Bearer {BridgeApp.TestApiKey}", handshake.Headers["Authorization"]);
        Assert.Contains("model=gpt-realtime-mini", handshake.PathAndQuery, StringComparison.Ordinal);
        Assert.False(handshake.Headers.ContainsKey("OpenAI-Beta"));
        Assert.False(handshake.Headers.ContainsKey("Cookie"));
        Assert.False(handshake.Headers.ContainsKey("api-key"));
        Assert.DoesNotContain(handshake.Headers.Values, v => v.Contains("browser-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AzureProvider_SendsApiKeyHeaderAndNoAuthorization()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Azure",
            ["VoiceBridge:Upstream:Model"] = "my-deployment",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.created", ct);

        var handshake = Assert.Single(upstream.Handshakes);
        Assert.Equal(BridgeApp.TestApiKey, handshake.Headers["api-key"]);
        Assert.False(handshake.Headers.ContainsKey("Authorization"));
        Assert.Contains("model=my-deployment", handshake.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrowserOffersRealtimeAndAKeyProtocol_BridgeSelectsRealtimeAndNeverEchoesTheKey()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(
            bridge.VoiceUri(), ct, "Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.ek_secret123");

        Assert.Equal(101, raw.Status);
        Assert.Contains("Sec-WebSocket-Protocol: realtime\r\n", raw.ResponseHead, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ek_secret123", raw.ResponseHead, StringComparison.Ordinal);
        Assert.DoesNotContain(upstream.Handshakes, h => h.Headers.Values.Any(v => v.Contains("ek_secret123", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task BrowserOffersNoSubprotocol_UpgradeHasNone()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);

        Assert.Equal(101, raw.Status);
        Assert.DoesNotContain("Sec-WebSocket-Protocol", raw.ResponseHead, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task PlainGetOnVoice_Is400WithAJsonError()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        using var http = bridge.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/voice", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("websocket_required", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(0, upstream.HandshakeCount);
    }

    [Fact]
    public async Task FragmentedMessageWithPingsBetweenFragments_IsReassembledByteIdentical()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url);
        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);
        var connection = await upstream.NextConnectionAsync(ct);

        var text = new string('z', 20000) + " é🎤";
        var message = Encoding.UTF8.GetBytes("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}}");
        var cuts = new[] { 0, 7, 5000, 5001, 19000, message.Length };
        for (var i = 0; i < cuts.Length - 1; i++)
        {
            var part = message[cuts[i]..cuts[i + 1]];
            await raw.SendFrameAsync(i == 0 ? RawFrame.Text : RawFrame.Continuation, part, fin: i == cuts.Length - 2, ct);
            if (i < cuts.Length - 2)
            {
                // Control frames may interleave with a fragmented message.
                await raw.SendFrameAsync(RawFrame.Ping, Encoding.ASCII.GetBytes("p" + i), fin: true, ct);
            }
        }

        await connection.Socket.WaitForFramesAsync(2, ct);
        Assert.Equal(message, connection.Received.Last().Payload);
    }

    [Fact]
    public async Task HealthAndReadiness_AnswerJsonWithTheSessionCount()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        using var http = bridge.CreateHttpClient();
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        await browser.WaitForEventAsync("session.created", ct);

        using var health = JsonDocument.Parse(await http.GetStringAsync(new Uri("/healthz", UriKind.Relative), ct));
        using var ready = await http.GetAsync(new Uri("/readyz", UriKind.Relative), ct);

        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());
        Assert.Equal(1, health.RootElement.GetProperty("activeSessions").GetInt32());
        Assert.Equal("OpenAI", health.RootElement.GetProperty("provider").GetString());
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }
}
