using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Security;

namespace VoiceBridge.IntegrationTests.Security;

/// <summary><c>POST /v1/realtime/client_secrets</c> on the whole bridge, on real Kestrel, with captured logs.</summary>
public sealed class ClientSecretsTests
{
    private const string Path = "/v1/realtime/client_secrets";
    private const string AdminKey = "admin-key-7d2f9c4b1e8a6035";
    private static readonly string SigningKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray());

    private static BridgeApp Bridge(string? adminKey = AdminKey, string? signingKey = null, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["VoiceBridge:Admin:ApiKey"] = adminKey,
            ["VoiceBridge:Auth:SigningKey"] = signingKey ?? SigningKey,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return new BridgeApp(upstream: null, settings);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(
        BridgeApp bridge, string? body, string? authorization = "Bearer " + AdminKey)
    {
        using var client = bridge.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, Path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await client.SendAsync(request, TestTimeout.Token(30));
        var text = await response.Content.ReadAsStringAsync(TestTimeout.Token(30));
        using var document = JsonDocument.Parse(text.Length == 0 ? "null" : text);
        return (response.StatusCode, document.RootElement.Clone(), response);
    }

    private static string ErrorCode(JsonElement body) => body.GetProperty("error").GetProperty("code").GetString()!;

    [Fact]
    public async Task NoAdminKey_RouteAnswers404()
    {
        await using var bridge = Bridge(adminKey: null);

        var (status, body, _) = await PostAsync(bridge, "{}");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found", ErrorCode(body));
    }

    [Theory]
    [InlineData(null, "missing_api_key")]
    [InlineData("Bearer admin-key-7d2f9c4b1e8a6036", "invalid_api_key")]
    [InlineData("Bearer " + BridgeApp.TestApiKey, "invalid_api_key")]
    [InlineData("Basic " + AdminKey, "invalid_api_key")]
    [InlineData(AdminKey, "invalid_api_key")]
    public async Task WrongOrMissingAdminKey_Is401(string? authorization, string code)
    {
        await using var bridge = Bridge();

        var (status, body, response) = await PostAsync(bridge, "{}", authorization);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(code, ErrorCode(body));
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task NoSigningKey_Is503AfterTheAdminKeyCheck()
    {
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?> { ["VoiceBridge:Admin:ApiKey"] = AdminKey });

        var (status, body, _) = await PostAsync(bridge, "{}");
        var (unauthorized, _, _) = await PostAsync(bridge, "{}", "Bearer wrong-key-000000000000");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("signing_key_missing", ErrorCode(body));
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("{}")]
    public async Task Mint_WithoutParameters_GivesATenMinuteTokenThatValidates(string? body)
    {
        await using var bridge = Bridge();
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var (status, json, response) = await PostAsync(bridge, body);

        Assert.Equal(HttpStatusCode.OK, status);
        var token = json.GetProperty("value").GetString()!;
        var expiresAt = json.GetProperty("expires_at").GetInt64();
        Assert.InRange(expiresAt, before + 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600);
        Assert.False(json.TryGetProperty("session", out _));
        Assert.Contains("no-store", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        var result = await bridge.Services.GetRequiredService<BridgeTokenService>().ValidateAsync(token);
        Assert.True(result.IsValid, result.ToString());
        Assert.Null(result.Subject);
        Assert.Equal(expiresAt, result.ExpiresAt.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task Mint_WithBody_CarriesUserSessionAndLifetime()
    {
        await using var bridge = Bridge();
        const string Body = """
            {"expires_after":{"anchor":"created_at","seconds":120},
             "session":{"type":"realtime","instructions":"Answer in French.","audio":{"output":{"voice":"marin"}}},
             "user":"alice@example.com"}
            """;
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var (status, json, _) = await PostAsync(bridge, Body);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(json.GetProperty("expires_at").GetInt64(), before + 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 120);
        Assert.Equal("Answer in French.", json.GetProperty("session").GetProperty("instructions").GetString());

        var result = await bridge.Services.GetRequiredService<BridgeTokenService>().ValidateAsync(json.GetProperty("value").GetString());
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("alice@example.com", result.Subject);
        Assert.Equal("marin", result.Session!.Value.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
    }

    [Fact]
    public async Task Mint_WithIssuerAndAudienceConfigured_WritesThemSoTheTokenValidates()
    {
        await using var bridge = Bridge(extra: [("VoiceBridge:Auth:Issuer", "https://backend.example"), ("VoiceBridge:Auth:Audience", "voicebridge")]);

        var (status, json, _) = await PostAsync(bridge, """{"user":"bob"}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var token = json.GetProperty("value").GetString()!;
        Assert.True((await bridge.Services.GetRequiredService<BridgeTokenService>().ValidateAsync(token)).IsValid);
        var payload = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        payload += new string('=', (4 - (payload.Length % 4)) % 4);
        using var claims = JsonDocument.Parse(Convert.FromBase64String(payload));
        Assert.Equal("https://backend.example", claims.RootElement.GetProperty("iss").GetString());
        Assert.Equal("voicebridge", claims.RootElement.GetProperty("aud").GetString());
    }

    [Fact]
    public async Task Mint_ShortMaximumLifetime_CapsTheDefaultAndRefusesMore()
    {
        await using var bridge = Bridge(extra: ("VoiceBridge:Auth:MaxTokenLifetime", "00:02:00"));
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var (status, json, _) = await PostAsync(bridge, null);
        var (tooLong, error, _) = await PostAsync(bridge, """{"expires_after":{"anchor":"created_at","seconds":121}}""");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(json.GetProperty("expires_at").GetInt64(), before + 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 120);
        Assert.Equal(HttpStatusCode.BadRequest, tooLong);
        Assert.Equal("lifetime_too_long", ErrorCode(error));
    }

    [Theory]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":601}}""", "lifetime_too_long")]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":0}}""", "invalid_seconds")]
    [InlineData("""{"expires_after":{"anchor":"created_at","seconds":30.5}}""", "invalid_seconds")]
    [InlineData("""{"expires_after":{"anchor":"expires_at","seconds":60}}""", "invalid_anchor")]
    [InlineData("""{"session":{"model":"gpt-4o-realtime-preview"}}""", "session_field_not_allowed")]
    [InlineData("""{"session":{"instructions":"x","tracing":"auto"}}""", "session_field_not_allowed")]
    [InlineData("""{"session":[]}""", "invalid_session")]
    [InlineData("""{"expires_after":""", "invalid_json")]
    [InlineData("""["expires_after"]""", "invalid_body")]
    [InlineData("""{"expires_in":60}""", "unknown_parameter")]
    [InlineData("""{"user":42}""", "invalid_user")]
    public async Task Mint_BadBody_Is400WithItsCode(string body, string code)
    {
        await using var bridge = Bridge();

        var (status, json, _) = await PostAsync(bridge, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, ErrorCode(json));
    }

    [Fact]
    public async Task Mint_BodyOverTheLimit_Is413()
    {
        await using var bridge = Bridge();
        var body = $$$"""{"session":{"instructions":"{{{new string('x', ClientSecretsEndpoint.MaxBodyBytes)}}}"}}""";

        var (status, json, _) = await PostAsync(bridge, body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", ErrorCode(json));
    }

    [Theory]
    [InlineData(100, HttpStatusCode.OK)]
    [InlineData(ClientSecretsEndpoint.MaxBodyBytes, HttpStatusCode.OK)]
    [InlineData(ClientSecretsEndpoint.MaxBodyBytes + 1, HttpStatusCode.RequestEntityTooLarge)]
    public async Task Mint_ChunkedBodyWithoutLength_IsBoundedToo(int size, HttpStatusCode expected)
    {
        await using var bridge = Bridge();
        using var client = bridge.CreateHttpClient();
        var json = Encoding.UTF8.GetBytes("{\"user\":\"" + new string('u', 50) + "\"}" + new string(' ', Math.Max(0, size - 61)));
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = new StreamContent(new NoLengthStream(json)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        using var response = await client.SendAsync(request, TestTimeout.Token(30));

        Assert.Equal(size, json.Length);
        Assert.Null(request.Content.Headers.ContentLength);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Mint_SessionTooLargeForAToken_Is400()
    {
        await using var bridge = Bridge();
        var body = $$$"""{"session":{"instructions":"{{{new string('x', 20_000)}}}"}}""";

        var (status, json, _) = await PostAsync(bridge, body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("token_too_large", ErrorCode(json));
    }

    [Fact]
    public async Task Mint_LogsSubjectLifetimeAndCaller_NeverTheTokenOrKeys()
    {
        await using var bridge = Bridge();

        var (status, json, _) = await PostAsync(bridge, """{"user":"carol","expires_after":{"anchor":"created_at","seconds":300}}""");
        await PostAsync(bridge, "{}", "Bearer not-the-admin-key-000");
        await PostAsync(bridge, "{}", "Bearer " + AdminKey[..^1]);

        Assert.Equal(HttpStatusCode.OK, status);
        var token = json.GetProperty("value").GetString()!;
        var logs = bridge.Logs.AllText;
        var minted = Assert.Single(bridge.Logs.Lines, l => l.Contains("[53]", StringComparison.Ordinal));
        Assert.Contains("carol", minted, StringComparison.Ordinal);
        Assert.Contains("300 s", minted, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1", minted, StringComparison.Ordinal);
        Assert.Equal(2, bridge.Logs.Lines.Count(l => l.Contains("[54]", StringComparison.Ordinal)));

        Assert.DoesNotContain(AdminKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminKey[..^1], logs, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-admin-key", logs, StringComparison.Ordinal);
        Assert.DoesNotContain(SigningKey, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(token, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], logs, StringComparison.Ordinal);
        Assert.DoesNotContain(BridgeApp.TestApiKey, logs, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mint_GetOnTheRoute_IsNotAMint()
    {
        await using var bridge = Bridge();
        using var client = bridge.CreateHttpClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        using var response = await client.GetAsync(Path, TestTimeout.Token(30));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }
}

/// <summary>A readable stream that will not tell its length, so the client sends the body chunked.</summary>
internal sealed class NoLengthStream(byte[] data) : MemoryStream(data)
{
    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
}
