using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Security;
using VoiceBridge.TestKit;

namespace VoiceBridge.IntegrationTests.Security;

/// <summary>Auth:Mode=Token on /voice: who may open a session, decided before the upgrade.</summary>
public sealed class VoiceAuthTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static Dictionary<string, string?> TokenMode(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["VoiceBridge:Auth:Mode"] = "Token",
            ["VoiceBridge:Auth:SigningKey"] = Convert.ToBase64String(Key),
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    private static string Token(string? subject = "user-1", TimeSpan? lifetime = null, string? sessionJson = null, byte[]? key = null) =>
        HandJwt.Sign(HandJwt.Claims(DateTimeOffset.UtcNow + (lifetime ?? TimeSpan.FromMinutes(5)), subject, sessionJson), key: key ?? Key);

    [Fact]
    public async Task NoToken_Is401BeforeTheUpgrade_AndNothingReachesUpstream()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, TokenMode());

        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct);

        Assert.Equal(401, raw.Status);
        Assert.Contains("missing_token", await raw.ReadBodyAsync(ct), StringComparison.Ordinal);
        Assert.Equal(0, upstream.HandshakeCount);
    }

    [Fact]
    public async Task ForgedExpiredOrWrongKeyTokens_Are401WithTheirCodes()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, TokenMode());
        var valid = Token();
        var cases = new (string Token, string Code)[]
        {
            (Token(key: RandomNumberGenerator.GetBytes(32)), "invalid_token"),
            (valid[..^3] + (valid[^3] == 'A' ? "B" : "A") + valid[^2..], "invalid_token"),
            (Token(lifetime: TimeSpan.FromMinutes(-5)), "token_expired"),
            (Token(lifetime: TimeSpan.FromHours(2)), "invalid_token"),
            ("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOjQxMDI0NDQ4MDB9.", "invalid_token"),
        };

        foreach (var (token, code) in cases)
        {
            await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri($"?access_token={token}"), ct);
            Assert.Equal(401, raw.Status);
            Assert.Contains(code, await raw.ReadBodyAsync(ct), StringComparison.Ordinal);
        }

        Assert.Equal(0, upstream.HandshakeCount);
    }

    [Fact]
    public async Task ValidToken_AcceptedFromSubprotocolQueryOrHeader_AndNeverEchoedOrLogged()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, TokenMode());
        var token = Token();

        await using var viaSubprotocol = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, $"Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.{token}");
        await using var viaQuery = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri($"?access_token={token}"), ct);
        await using var viaHeader = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, $"Authorization: Bearer {token}");

        Assert.Equal(101, viaSubprotocol.Status);
        Assert.Contains("Sec-WebSocket-Protocol: realtime\r\n", viaSubprotocol.ResponseHead, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, viaSubprotocol.ResponseHead, StringComparison.Ordinal);
        Assert.Equal(101, viaQuery.Status);
        Assert.Equal(101, viaHeader.Status);
        Assert.DoesNotContain(token, bridge.Logs.AllText, StringComparison.Ordinal);
        Assert.Contains("for subject user-1", bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyProtocolWithoutRealtime_IsRefusedWithAClearError()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, TokenMode());

        await using var raw = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri(), ct, $"Sec-WebSocket-Protocol: openai-insecure-api-key.{Token()}");

        Assert.Equal(400, raw.Status);
        Assert.Contains("subprotocol_required", await raw.ReadBodyAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenSessionClaim_IsTheSecondSessionUpdate_DisallowedClaimIs401()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = false;
        await using var bridge = new BridgeApp(upstream.Url, TokenMode());
        var token = Token(sessionJson: """{"instructions":"You are Ada, the support agent for Acme.","audio":{"output":{"voice":"marin"}}}""");

        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri($"?access_token={token}"), ct);
        var connection = await upstream.NextConnectionAsync(ct);
        await connection.Socket.WaitForFramesAsync(2, ct);

        var frames = connection.Received.ToArray();
        using var server = JsonDocument.Parse(frames[0].Payload);
        using var claim = JsonDocument.Parse(frames[1].Payload);
        Assert.Equal("session.update", server.RootElement.GetProperty("type").GetString());
        Assert.Equal("session.update", claim.RootElement.GetProperty("type").GetString());
        Assert.Equal("realtime", claim.RootElement.GetProperty("session").GetProperty("type").GetString());
        Assert.Equal("You are Ada, the support agent for Acme.", claim.RootElement.GetProperty("session").GetProperty("instructions").GetString());

        var tooMuch = Token(sessionJson: """{"instructions":"x","tracing":"auto"}""");
        await using var refused = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri($"?access_token={tooMuch}"), ct);
        Assert.Equal(401, refused.Status);
        Assert.Contains("tracing", await refused.ReadBodyAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MaxSessionsPerClient_CountsPerSubject_NotPerAddress()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, TokenMode(("VoiceBridge:Limits:MaxSessionsPerClient", "1")));

        await using var alice = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri($"?access_token={Token("alice")}"), ct);
        await using var bob = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri($"?access_token={Token("bob")}"), ct);
        await using var alice2 = await RawWebSocketClient.ConnectAsync(bridge.VoiceUri($"?access_token={Token("alice")}"), ct);

        Assert.Equal(101, alice.Status);
        Assert.Equal(101, bob.Status);
        Assert.Equal(429, alice2.Status);
    }

    [Fact]
    public async Task MintedClientSecret_OpensASession()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, TokenMode(("VoiceBridge:Admin:ApiKey", "admin-key-0123456789abcdef")));
        using var http = bridge.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/realtime/client_secrets")
        {
            Content = new StringContent("""{"user":"carol","expires_after":{"anchor":"created_at","seconds":60}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "admin-key-0123456789abcdef");

        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var value = body.RootElement.GetProperty("value").GetString()!;

        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct, o => o.AddSubProtocol($"openai-insecure-api-key.{value}"));
        await browser.WaitForEventAsync("session.created", ct);
        Assert.Equal(WebSocketState.Open, browser.Socket.State);
        Assert.Contains("for subject carol", bridge.Logs.AllText, StringComparison.Ordinal);
    }
}
