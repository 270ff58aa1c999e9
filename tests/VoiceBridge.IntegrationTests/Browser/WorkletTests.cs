using System.Text.Json;
using Microsoft.Playwright;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>
/// The two AudioWorklet processors, run sample by sample in Chromium's JavaScript engine (the page's module text
/// with the worklet globals stubbed, <c>process()</c> called per 128-sample render quantum as the audio thread
/// would): capture resamples to 24 kHz 20 ms frames, playback has no gap or click at chunk edges, and a flush
/// stops at once and reports exactly what was played.
/// </summary>
public sealed class WorkletTests : IAsyncLifetime
{
    // Loads the module text with stubbed AudioWorkletGlobalScope members and returns the registered classes.
    private const string Harness = """
        (source) => {
          const scope = { sampleRate: 48000, currentTime: 0 };
          class AudioWorkletProcessor {
            constructor() {
              this.port = { messages: [], onmessage: null, postMessage(m) { this.messages.push(m); } };
            }
          }
          const registered = {};
          const load = new Function("AudioWorkletProcessor", "registerProcessor", "sampleRate", "currentTime", source);
          load(AudioWorkletProcessor, (name, type) => (registered[name] = type), scope.sampleRate, scope.currentTime);
          window.worklets = registered;
          window.send = (node, message) => node.port.onmessage({ data: message });
          window.sine = (rate, frequency, seconds, amplitude) =>
            Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate));
          window.pcm16 = (floats) => Int16Array.from(floats, (v) => Math.round(v * 32767)).buffer;
          window.render = (node, quanta) => {
            const out = new Float32Array(quanta * 128);
            for (let q = 0; q < quanta; q++) {
              const channel = new Float32Array(128);
              node.process([], [[channel]]);
              out.set(channel, q * 128);
            }
            return out;
          };
        }
        """;

    private BridgeApp? _bridge;
    private IPlaywright? _playwright;
    private IBrowser? _browser;
    private IPage _page = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(DemoPageBrowser.ChromiumPath), "Chromium is missing: run `bash scripts/test.sh`, which installs it.");
        _bridge = new BridgeApp(upstream: null, new Dictionary<string, string?> { ["VoiceBridge:Upstream:Provider"] = "Simulator" });
        using var http = _bridge.CreateHttpClient();
        var source = await http.GetStringAsync(new Uri("/voicebridge-worklets.js", UriKind.Relative));

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = DemoPageBrowser.ChromiumPath,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        _page = await _browser.NewPageAsync();
        await _page.EvaluateAsync(Harness, source);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_bridge is not null)
        {
            await _bridge.DisposeAsync();
        }
    }

    [Fact]
    public async Task Playback_ChunksOfAnySizeJoinWithoutAGapOrAClick()
    {
        // One second of a 440 Hz tone at 24 kHz, cut into chunks of awkward sizes (1 sample, odd lengths, 100 ms),
        // played at 48 kHz: the output must be that tone, continuous across every chunk edge.
        var result = await _page.EvaluateAsync<JsonElement>("""
            () => {
              const node = new worklets["voicebridge-playback"]({ processorOptions: { prebufferMs: 60 } });
              const tone = sine(24000, 440, 1, 0.5);
              const sizes = [1, 333, 2400, 7, 960, 4800, 2, 1441];
              let offset = 0, chunks = 0;
              for (let i = 0; offset < tone.length; i++) {
                const size = Math.min(sizes[i % sizes.length], tone.length - offset);
                send(node, { type: "chunk", item: "item_a", pcm: pcm16(tone.subarray(offset, offset + size)) });
                offset += size;
                chunks++;
              }
              send(node, { type: "end", item: "item_a" });
              const out = render(node, 400); // 1.07 s at 48 kHz
              const start = out.findIndex((v) => v !== 0);
              let end = out.length - 1;
              while (end > 0 && out[end] === 0) end--;
              let maxStep = 0, maxError = 0;
              for (let i = start + 1; i <= end; i++) {
                maxStep = Math.max(maxStep, Math.abs(out[i] - out[i - 1]));
              }
              // the ideal 440 Hz tone at 48 kHz, at the delay (searched in quarter samples) that fits best
              maxError = Infinity;
              for (let delay = -4; delay <= 4; delay += 0.25) {
                let worst = 0;
                for (let i = start + 48; i < end - 48; i++) {
                  const t = (i - start - delay) / 48000;
                  worst = Math.max(worst, Math.abs(out[i] - 0.5 * Math.sin(2 * Math.PI * 440 * t)));
                }
                maxError = Math.min(maxError, worst);
              }
              const played = node.port.messages.filter((m) => m.type === "drained").map((m) => m.played);
              return { chunks, start, playedSamples: end - start + 1, maxStep, maxError, drained: played, underruns: node.underruns };
            }
            """);

        var chunks = result.GetProperty("chunks").GetInt32();
        var outputSamples = result.GetProperty("playedSamples").GetInt32();
        var maxStep = result.GetProperty("maxStep").GetDouble();
        var maxError = result.GetProperty("maxError").GetDouble();

        Assert.True(chunks >= 16, $"{chunks} chunks"); // every awkward size, twice
        Assert.Equal(0, result.GetProperty("underruns").GetInt32());

        // All of it is played, once: 24,000 wire samples become 48,000 output samples (a few fewer are counted:
        // the tone starts at an exact zero, which the scan for the first sound skips).
        Assert.InRange(outputSamples, 47_994, 48_002);
        Assert.Equal(24_000, Assert.Single(result.GetProperty("drained").EnumerateArray()).GetInt32());

        // No click: the largest sample-to-sample step is the tone's own slope (2π·440/48000·0.5 ≈ 0.029), with a
        // little room for interpolation and PCM16 rounding; a gap or a repeated chunk edge would jump to ~0.5.
        Assert.True(maxStep < 0.032, $"largest step {maxStep:F4}");
        Assert.True(maxError < 0.01, $"largest deviation from the ideal tone {maxError:F4}");
    }

    [Fact]
    public async Task Playback_WaitsForItsPrebuffer_AndAFlushStopsWithinAQuantumReportingWhatWasPlayed()
    {
        var result = await _page.EvaluateAsync<JsonElement>("""
            () => {
              const node = new worklets["voicebridge-playback"]({ processorOptions: { prebufferMs: 60 } });
              const tone = sine(24000, 300, 2, 0.5);
              // 50 ms queued: below the 60 ms prebuffer, nothing plays yet.
              send(node, { type: "chunk", item: "item_b", pcm: pcm16(tone.subarray(0, 1200)) });
              const waiting = render(node, 10).some((v) => v !== 0);
              // The rest arrives; play 0.5 s of output, then flush.
              send(node, { type: "chunk", item: "item_b", pcm: pcm16(tone.subarray(1200)) });
              render(node, 188); // 24,064 output samples: 0.501 s at 48 kHz
              send(node, { type: "flush", id: 7 });
              const flushed = node.port.messages.find((m) => m.type === "flushed");
              const after = render(node, 40);
              const fadeEnd = after.findIndex((v, i) => after.subarray(i).every((x) => x === 0));
              let fadeStep = 0;
              for (let i = 1; i < fadeEnd; i++) fadeStep = Math.max(fadeStep, Math.abs(after[i] - after[i - 1]));
              return { waiting, flushed, fadeEnd, fadeStep, queuedAfter: node.queued };
            }
            """);

        Assert.False(result.GetProperty("waiting").GetBoolean(), "played before the prebuffer filled");
        var flushed = result.GetProperty("flushed");
        Assert.Equal(7, flushed.GetProperty("id").GetInt32());
        Assert.Equal("item_b", flushed.GetProperty("item").GetString());
        Assert.True(flushed.GetProperty("wasPlaying").GetBoolean());

        // Played: 24,064 output samples at 48 kHz are 12,032 wire samples (±1 for the interpolator's look-ahead).
        Assert.InRange(flushed.GetProperty("played").GetInt32(), 12_031, 12_033);

        // Silent within 4 ms (192 samples at 48 kHz), fading rather than jumping, and nothing left queued.
        Assert.InRange(result.GetProperty("fadeEnd").GetInt32(), 0, 192);
        Assert.True(result.GetProperty("fadeStep").GetDouble() < 0.01, $"fade step {result.GetProperty("fadeStep").GetDouble():F4}");
        Assert.Equal(0, result.GetProperty("queuedAfter").GetInt32());
    }

    [Fact]
    public async Task Capture_Resamples48kHzTo24kHzIn20msFramesKeepingTheSignal()
    {
        var result = await _page.EvaluateAsync<JsonElement>("""
            () => {
              const node = new worklets["voicebridge-capture"]({ processorOptions: { frameMs: 20 } });
              const tone = sine(48000, 440, 1, 0.5);
              for (let q = 0; q + 128 <= tone.length; q += 128) {
                node.process([[tone.subarray(q, q + 128)]], []);
              }
              const frames = node.port.messages.filter((m) => m.type === "frame");
              const samples = [];
              for (const f of frames) samples.push(...new Int16Array(f.pcm));
              // compare with the ideal 440 Hz tone at 24 kHz (skip the filter's first samples)
              let maxError = Infinity, crossings = 0;
              for (let i = 1; i < samples.length; i++) {
                if ((samples[i - 1] < 0) !== (samples[i] < 0)) crossings++;
              }
              for (let delay = -4; delay <= 4; delay += 0.25) { // in input samples, the best fit
                let worst = 0;
                for (let i = 4; i < samples.length; i++) {
                  const ideal = 0.5 * Math.sin(2 * Math.PI * 440 * (i * 2 - delay) / 48000);
                  worst = Math.max(worst, Math.abs(samples[i] / 32768 - ideal));
                }
                maxError = Math.min(maxError, worst);
              }
              return { frames: frames.length, sizes: [...new Set(frames.map((f) => f.pcm.byteLength))], samples: samples.length, maxError, crossings, rms: frames[10].rms };
            }
            """);

        // 1 s of input (375 quanta of 128 samples) gives 50 full 20 ms frames of 960 bytes.
        Assert.Equal(50, result.GetProperty("frames").GetInt32());
        Assert.Equal(960, Assert.Single(result.GetProperty("sizes").EnumerateArray()).GetInt32());

        // The same 440 Hz tone at 24 kHz: 880 zero crossings in the second, close to the ideal sample by sample
        // (the 2-tap anti-alias filter shifts it by half an input sample and attenuates 440 Hz by 0.2%).
        var crossings = result.GetProperty("crossings").GetInt32();
        Assert.InRange(crossings, 876, 881);
        Assert.True(result.GetProperty("maxError").GetDouble() < 0.005, $"largest deviation {result.GetProperty("maxError").GetDouble():F4}");
        Assert.InRange(result.GetProperty("rms").GetDouble(), 0.35, 0.36); // 0.5 / √2
    }
}
