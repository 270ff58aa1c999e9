using System.Net;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Hosting;

/// <summary>One log line per plain HTTP request, with the path and never the query string (a token may travel there).</summary>
public sealed class RequestLoggingTests
{
    private const string Token = "query-token-9d2b4f6a8c1e";

    [Fact]
    public async Task PlainRequest_LogsOneInformationLineWithThePathButNotTheQuery()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));
        using var client = bridge.CreateHttpClient();

        using var response = await client.GetAsync($"/nowhere?access_token={Token}", ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var line = await bridge.Logs.WaitForLineAsync(l => l.Contains("HTTP GET /nowhere answered", StringComparison.Ordinal), ct);
        Assert.StartsWith("Information ", line, StringComparison.Ordinal);
        Assert.Contains("[40] HTTP GET /nowhere answered 404 in ", line, StringComparison.Ordinal);
        Assert.Contains(" RequestPath=/nowhere ", line, StringComparison.Ordinal);
        Assert.Single(bridge.Logs.Lines, l => l.Contains("/nowhere", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task HealthProbe_LogsAtDebug(string path)
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));
        using var client = bridge.CreateHttpClient();

        using var response = await client.GetAsync($"{path}?access_token={Token}", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var line = await bridge.Logs.WaitForLineAsync(l => l.Contains($"HTTP GET {path} answered", StringComparison.Ordinal), ct);
        Assert.StartsWith("Debug ", line, StringComparison.Ordinal);
        Assert.Contains($"[41] HTTP GET {path} answered 200 in ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocketSession_IsLoggedAsASessionNotAsARequest()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        using var client = bridge.CreateHttpClient();

        await using (var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri($"?access_token={Token}"), ct))
        {
            await browser.WaitForEventAsync("session.created", ct);
        }

        await bridge.WaitForNoSessionsAsync(ct);

        // A plain request after the session: its line comes once the pipeline is done with the earlier upgrade.
        (await client.GetAsync("/after-the-session", ct)).Dispose();
        await bridge.Logs.WaitForLineAsync(l => l.Contains("HTTP GET /after-the-session answered", StringComparison.Ordinal), ct);
        Assert.Contains(bridge.Logs.Lines, l => l.Contains("Session vb_", StringComparison.Ordinal) && l.Contains("opened", StringComparison.Ordinal));
        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("HTTP GET /voice", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, bridge.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FrameworkLogsTurnedUpInConfiguration_StillNeverLogTheQuery()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"), new Dictionary<string, string?>
        {
            // What an operator chasing a problem might set: ASP.NET's own request lines would print the full URL.
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Verbose",
        });
        using var client = bridge.CreateHttpClient();

        (await client.GetAsync($"/nowhere?access_token={Token}", ct)).Dispose();

        await bridge.Logs.WaitForLineAsync(l => l.Contains("HTTP GET /nowhere answered 404", StringComparison.Ordinal), ct);
        Assert.Contains(bridge.Logs.Lines, l => l.Contains(" Microsoft.AspNetCore.", StringComparison.Ordinal));
        Assert.DoesNotContain(Token, bridge.Logs.AllText, StringComparison.Ordinal);
    }
}
