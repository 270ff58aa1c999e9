using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright, with a fake microphone that plays a WAV file once: the demo
/// page served by the bridge, as a user would open it. Console output and page errors go to the test log.
/// </summary>
internal sealed class DemoPageBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DemoPageBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    public List<string> PageErrors { get; } = [];

    /// <summary>Opens <paramref name="pageUrl"/> in a fresh Chromium whose microphone plays <paramref name="microphoneWav"/> once, then silence.</summary>
    public static async Task<DemoPageBrowser> OpenAsync(Uri pageUrl, string microphoneWav, ITestOutputHelper output)
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing: the browser tests run Debian's Chromium. Run `bash scripts/test.sh`, which installs it (apt-get install -y chromium).");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                $"--use-file-for-fake-audio-capture={microphoneWav}%noloop",
            ],
        });
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1000, Height = 640 } });
        var page = await context.NewPageAsync();
        var session = new DemoPageBrowser(playwright, browser, page);
        page.Console += (_, message) => output.WriteLine($"[page {message.Type}] {message.Text}");
        page.PageError += (_, error) =>
        {
            output.WriteLine($"[page error] {error}");
            lock (session.PageErrors)
            {
                session.PageErrors.Add(error);
            }
        };

        await page.GotoAsync(pageUrl.ToString());

        // Every server event the page's client sees, for the assertions.
        await page.EvaluateAsync("""
            () => {
              window.__events = [];
              window.__errors = [];
              const client = window.voiceBridgeDemo.client;
              client.addEventListener("event", (e) => window.__events.push(e.detail));
              client.addEventListener("error", (e) => window.__errors.push(e.detail));
            }
            """);
        return session;
    }

    public async Task ConnectAsync()
    {
        await Page.ClickAsync("#connect");
        await WaitForAsync("() => window.voiceBridgeDemo.client.state === 'connected'", TimeSpan.FromSeconds(15));
    }

    /// <summary>Waits for a page condition; on timeout the page's events, stats and errors are in the failure message.</summary>
    public async Task WaitForAsync(string predicate, TimeSpan timeout)
    {
        try
        {
            await Page.WaitForFunctionAsync(predicate, null, new PageWaitForFunctionOptions { Timeout = (float)timeout.TotalMilliseconds, PollingInterval = 20 });
        }
        catch (TimeoutException)
        {
            var state = await Page.EvaluateAsync<string>("""
                () => JSON.stringify({
                  state: window.voiceBridgeDemo.client.state,
                  stats: window.voiceBridgeDemo.client.stats,
                  events: (window.__events ?? []).map((e) => e.type),
                  errors: window.__errors ?? [],
                })
                """);
            Assert.Fail($"The page did not reach `{predicate}` within {timeout.TotalSeconds} s. Page: {state}");
        }
    }

    public async Task<JsonElement> StatsAsync() => await Page.EvaluateAsync<JsonElement>("() => window.voiceBridgeDemo.client.stats");

    public async Task<JsonElement[]> EventsAsync(string type) =>
        [.. (await Page.EvaluateAsync<JsonElement>("(type) => window.__events.filter((e) => e.type === type)", type)).EnumerateArray()];

    public async Task<JsonElement[]> ClientErrorsAsync() => [.. (await Page.EvaluateAsync<JsonElement>("() => window.__errors")).EnumerateArray()];

    /// <summary>Saves a screenshot under <c>artifacts/browser/</c> at the repository root (ignored by git) and returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var directory = Path.Combine(RepositoryRoot(), "artifacts", "browser");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".png");
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "VoiceBridge.sln")))
            {
                return directory.FullName;
            }
        }

        return AppContext.BaseDirectory;
    }
}
