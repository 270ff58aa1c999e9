using System.Net;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>The demo page and the client module over plain HTTP: served at <c>/</c>, locked down, and switchable off.</summary>
public sealed class DemoPageTests
{
    [Fact]
    public async Task Root_ServesThePageAndTheModule_WithAPolicyThatOnlyTrustsTheBridge()
    {
        var ct = TestTimeout.Token();
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?> { ["VoiceBridge:Upstream:Provider"] = "Simulator" });
        using var http = bridge.CreateHttpClient();

        using var page = await http.GetAsync(new Uri("/", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<script type=\"module\" src=\"app.js\"></script>", await page.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        var policy = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join(' ', page.Headers.GetValues("X-Content-Type-Options")));

        foreach (var module in new[] { "/voicebridge-client.js", "/voicebridge-worklets.js", "/app.js" })
        {
            using var script = await http.GetAsync(new Uri(module, UriKind.Relative), ct);
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        }

        using var client = await http.GetStringAsync(new Uri("/voicebridge-client.js", UriKind.Relative), ct).ContinueWith(t => new StringReader(t.Result), ct);
        Assert.Contains("export class VoiceBridgeClient", await client.ReadToEndAsync(ct), StringComparison.Ordinal);

        // Only wwwroot is served: not the configuration next to the binary.
        using var settings = await http.GetAsync(new Uri("/appsettings.json", UriKind.Relative), ct);
        Assert.Equal(HttpStatusCode.NotFound, settings.StatusCode);
    }

    [Fact]
    public async Task DemoDisabled_RootIs404_AndTheBridgeStillWorks()
    {
        var ct = TestTimeout.Token();
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Simulator",
            ["VoiceBridge:Demo:Enabled"] = "false",
        });
        using var http = bridge.CreateHttpClient();

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/", UriKind.Relative), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/voicebridge-client.js", UriKind.Relative), ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct)).StatusCode);
    }
}
