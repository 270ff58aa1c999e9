using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.TestKit;
using Xunit.Abstractions;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>
/// The demo's sample server tool in a real browser: in Development on the built-in simulator, typing
/// <c>/tool server_clock {}</c> makes the model call the server's clock through the demo's own webhook; the page shows
/// the call and the answer quoting the time, and the tool is off outside Development.
/// </summary>
public sealed class DemoToolBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DemoPage_ShowsTheServerToolCall_AndTheAnswerQuotingIt()
    {
        var wav = Path.Combine(Path.GetTempPath(), $"voicebridge-mic-{Guid.NewGuid():N}.wav");
        SpokenAudio.Silence(2000, 24_000).WriteWav(wav);
        try
        {
            await RunAsync(wav);
        }
        finally
        {
            File.Delete(wav);
        }
    }

    private async Task RunAsync(string wav)
    {
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?> { ["VoiceBridge:Upstream:Provider"] = "Simulator" }, environment: "Development");
        await using var browser = await DemoPageBrowser.OpenAsync(bridge.BaseUri, wav, output);
        await browser.ConnectAsync();

        await browser.Page.FillAsync("#say", "/tool server_clock {}");
        await browser.Page.ClickAsync("#say-send");

        await browser.WaitForAsync("() => document.querySelector('#transcript li.tool:not(.partial)')?.textContent.startsWith('server_clock: ok')", TimeSpan.FromSeconds(20));
        await browser.WaitForAsync("() => [...document.querySelectorAll('#transcript li.assistant:not(.partial)')].some((li) => li.textContent.includes('The tool answered'))", TimeSpan.FromSeconds(20));
        var answer = await browser.Page.InnerTextAsync("#transcript li.assistant:not(.partial)");
        Assert.Contains(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), answer, StringComparison.Ordinal);
        Assert.Empty(await browser.ClientErrorsAsync());
        Assert.Empty(browser.PageErrors);
        output.WriteLine($"screenshot: {await browser.ScreenshotAsync("server-tool")}");
    }

    [Fact]
    public async Task DemoToolEndpoint_IsOffOutsideDevelopment()
    {
        var ct = TestTimeout.Token();
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?> { ["VoiceBridge:Upstream:Provider"] = "Simulator" });
        using var http = bridge.CreateHttpClient();
        using var response = await http.PostAsync(new Uri("/demo/tools/clock", UriKind.Relative), new StringContent("{}"), ct);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
    }
}
