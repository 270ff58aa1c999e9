using VoiceBridge.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>
/// The demo page survives a network blip: a TCP proxy between Chromium and the bridge resets the connection while the
/// answer is playing; the page shows "reconnecting…", resumes the call by itself, plays the rest of the answer that
/// the bridge kept, and the next turn is answered on the same session.
/// </summary>
public sealed class ResumeBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Blip_MidAnswer_PageReconnectsAndTheConversationGoesOn()
    {
        using var timeout = TestTimeout.Source(90);
        var ct = timeout.Token;

        var first = await SpokenAudio.SpeakAsync("Hello bridge. Please say something back to me now.", ct);
        var second = await SpokenAudio.SpeakAsync("Are you still there after the blip?", ct);
        var rate = first.SampleRate;
        var microphone = SpokenAudio.Concat(
            SpokenAudio.Silence(500, rate), first, SpokenAudio.Silence(5000, rate), second, SpokenAudio.Silence(3000, rate));
        var wav = Path.Combine(Path.GetTempPath(), $"voicebridge-mic-{Guid.NewGuid():N}.wav");
        microphone.WriteWav(wav);
        try
        {
            // Paced as the product runs the simulator: the answer takes a while, so the cut falls inside it.
            await using var upstream = await FakeUpstream.StartAsync(o =>
            {
                o.DeltaInterval = TimeSpan.FromMilliseconds(50);
                o.DeltaBytes = 4800;
            });
            await using var bridge = new BridgeApp(upstream.Url);
            await using var proxy = new TcpCutProxy(bridge.BaseUri.Port);
            await using var browser = await DemoPageBrowser.OpenAsync(proxy.Through(bridge.BaseUri), wav, output);
            await browser.Page.EvaluateAsync("() => { window.__states = []; window.voiceBridgeDemo.client.addEventListener('state', (e) => window.__states.push(e.detail.state)); }");
            await browser.ConnectAsync();
            var connection = await upstream.NextConnectionAsync(ct);

            await browser.WaitForAsync("() => window.__events.some((e) => e.type === 'response.output_audio.delta')", TimeSpan.FromSeconds(30));
            proxy.Cut();

            await browser.WaitForAsync("() => window.__states.includes('reconnecting')", TimeSpan.FromSeconds(10));
            Assert.Equal("reconnecting…", await browser.Page.InnerTextAsync("#state"));
            await browser.WaitForAsync("() => window.voiceBridgeDemo.client.stats.resumes === 1 && window.voiceBridgeDemo.client.state === 'connected'", TimeSpan.FromSeconds(10));

            // The rest of the first answer arrives and is played; then the second turn is heard and answered.
            await browser.WaitForAsync("() => window.__events.filter((e) => e.type === 'response.done').length >= 2", TimeSpan.FromSeconds(40));
            // Every answer is played out, but one the caller talked over (on a loaded machine the first answer can still be
            // playing when the second question starts: a real barge-in, played up to it); the last one is never cut.
            await browser.WaitForAsync(
                """
                () => {
                  const s = window.voiceBridgeDemo.client.stats;
                  const cut = new Set(s.interruptions.map((i) => i.item));
                  const items = Object.keys(s.receivedByItem);
                  return items.length >= 2 && !cut.has(items[items.length - 1])
                    && items.every((i) => cut.has(i) || (s.playedByItem[i] ?? 0) >= s.receivedByItem[i]);
                }
                """,
                TimeSpan.FromSeconds(20));
            var resumed = await browser.EventsAsync("bridge.session.resumed");
            output.WriteLine($"resumed: {resumed[0]}");
            Assert.Single(resumed);
            Assert.Equal(1, upstream.HandshakeCount);
            Assert.Equal(2, (await browser.EventsAsync("input_audio_buffer.committed")).Length);
            Assert.Equal(2, await browser.Page.Locator("#transcript li.assistant").CountAsync());
            Assert.Empty(await browser.ClientErrorsAsync());
            Assert.Empty(browser.PageErrors);
            output.WriteLine($"screenshot: {await browser.ScreenshotAsync("resumed")}");

            await browser.Page.ClickAsync("#hangup");
            await browser.WaitForAsync("() => window.voiceBridgeDemo.client.state === 'closed'", TimeSpan.FromSeconds(5));
            await connection.Ended.WaitAsync(ct);
            await bridge.WaitForNoSessionsAsync(ct);
        }
        finally
        {
            File.Delete(wav);
        }
    }
}
