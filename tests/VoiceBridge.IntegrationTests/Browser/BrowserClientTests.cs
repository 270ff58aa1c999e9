using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.TestKit;
using Xunit.Abstractions;

namespace VoiceBridge.IntegrationTests.Browser;

/// <summary>
/// The demo page and voicebridge-client.js in a real browser (headless Chromium, a fake microphone playing espeak-ng
/// speech) against the bridge on the simulator: the caller is heard, the answer is played, transcripts appear, and
/// a barge-in stops playback at once and truncates the assistant's item to what was actually played.
/// </summary>
public sealed class BrowserClientTests(ITestOutputHelper output)
{
    private const int WireRate = 24_000;

    [Fact]
    public async Task Conversation_CallerSpeechReachesTheServiceAndTheAnswerIsPlayedWithTranscripts()
    {
        using var timeout = TestTimeout.Source(90);
        var ct = timeout.Token;

        var speech = await SpokenAudio.SpeakAsync("Hello bridge. Can you hear me clearly today?", ct);
        var microphone = SpokenAudio.Concat(SpokenAudio.Silence(600, speech.SampleRate), speech, SpokenAudio.Silence(2500, speech.SampleRate));
        using var wav = TempWav.Write(microphone);
        var spoken = microphone.FindSpeech();
        output.WriteLine($"microphone: {microphone.DurationMs:F0} ms, speech {spoken.StartMs:F0}-{spoken.EndMs:F0} ms ({spoken.DurationMs:F0} ms, RMS {spoken.SpeechRms:F3})");

        await using var upstream = await StartPacedSimulatorAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Session:TranscriptionModel"] = "gpt-4o-mini-transcribe",
        });

        await using var browser = await DemoPageBrowser.OpenAsync(bridge.BaseUri, wav.Path, output);
        await browser.ConnectAsync();
        var connection = await upstream.NextConnectionAsync(ct);

        // The turn: speech, end of speech, an answer echoing it, played to the end.
        await browser.WaitForAsync(
            "() => window.__events.some((e) => e.type === 'response.done') && document.querySelector('#transcript li.assistant:not(.partial)') !== null",
            TimeSpan.FromSeconds(30));
        await browser.WaitForAsync(
            "() => { const s = window.voiceBridgeDemo.client.stats; return s.samplesReceived > 0 && s.samplesPlayed >= s.samplesReceived; }",
            TimeSpan.FromSeconds(20));

        // The service heard the caller: the speech in what it received lasts as long as the WAV's (within 10%), and
        // is far louder than silence.
        var heard = SpokenAudio.FromPcm16(AppendedAudio(connection), WireRate).FindSpeech();
        output.WriteLine($"service heard: speech {heard.StartMs:F0}-{heard.EndMs:F0} ms ({heard.DurationMs:F0} ms), RMS {heard.SpeechRms:F4} inside, {heard.OutsideRms:F5} outside");
        Assert.InRange(heard.DurationMs, spoken.DurationMs * 0.9, spoken.DurationMs * 1.1);
        Assert.True(heard.SpeechRms >= 0.01, $"speech RMS {heard.SpeechRms:F4} is not clearly above silence");
        Assert.True(heard.SpeechRms >= 10 * heard.OutsideRms, $"speech RMS {heard.SpeechRms:F4} vs {heard.OutsideRms:F5} around it");

        // The page played the whole answer: the simulator echoes the committed turn, which holds the speech.
        var stats = await browser.StatsAsync();
        var received = stats.GetProperty("samplesReceived").GetDouble();
        var played = stats.GetProperty("samplesPlayed").GetDouble();
        output.WriteLine($"page: sent {stats.GetProperty("samplesSent").GetDouble() / WireRate:F2} s, received {received / WireRate:F2} s, played {played / WireRate:F2} s, underruns {stats.GetProperty("underruns")}");
        Assert.True(received / WireRate * 1000 >= spoken.DurationMs, $"the answer ({received / WireRate:F2} s) should echo the whole turn ({spoken.DurationMs:F0} ms)");
        Assert.Equal(received, played);

        // Transcripts of both sides and the turn's time to first audio are on the page.
        var user = await browser.Page.InnerTextAsync("#transcript li.user");
        var assistant = await browser.Page.InnerTextAsync("#transcript li.assistant");
        Assert.Contains("simulated transcript of", user, StringComparison.Ordinal);
        Assert.StartsWith("You said something for", assistant, StringComparison.Ordinal);
        var latency = await browser.Page.InnerTextAsync("#latency li");
        Assert.Matches(@"^turn 1: \d+ ms$", latency);
        Assert.Empty(await browser.ClientErrorsAsync());
        Assert.Empty(browser.PageErrors);

        output.WriteLine($"screenshot: {await browser.ScreenshotAsync("conversation")}");

        // Hang up: the call ends cleanly on both sides.
        await browser.Page.ClickAsync("#hangup");
        await browser.WaitForAsync("() => window.voiceBridgeDemo.client.state === 'closed'", TimeSpan.FromSeconds(5));
        await connection.Ended.WaitAsync(ct);
        await bridge.WaitForNoSessionsAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, connection.Socket.ReceivedCloseStatus);
    }

    [Fact]
    public async Task BargeIn_SpeakingOverALongAnswerStopsPlaybackAtOnceAndTruncatesToWhatWasPlayed()
    {
        using var timeout = TestTimeout.Source(90);
        var ct = timeout.Token;

        // A long question (so the echoed answer is long), a pause in which the answer starts playing, then the
        // caller talks over it.
        var question = await SpokenAudio.SpeakAsync("Please tell me a long story about the bridge that carries voices across the sea.", ct);
        var interruption = await SpokenAudio.SpeakAsync("Wait, stop.", ct);
        var rate = question.SampleRate;
        var microphone = SpokenAudio.Concat(
            SpokenAudio.Silence(500, rate), question, SpokenAudio.Silence(1600, rate), interruption, SpokenAudio.Silence(2500, rate));
        using var wav = TempWav.Write(microphone);
        output.WriteLine($"microphone: {microphone.DurationMs:F0} ms; question {question.DurationMs:F0} ms, interruption {interruption.DurationMs:F0} ms");

        await using var upstream = await StartPacedSimulatorAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Session:TranscriptionModel"] = "gpt-4o-mini-transcribe",
        });
        await using var browser = await DemoPageBrowser.OpenAsync(bridge.BaseUri, wav.Path, output);
        await browser.ConnectAsync();
        var connection = await upstream.NextConnectionAsync(ct);

        // The simulator hears the interruption during the answer, sends speech_started and cancels the response;
        // the page stops playing and truncates; the simulator acknowledges.
        await browser.WaitForAsync(
            "() => window.voiceBridgeDemo.client.stats.interruptions.some((i) => i.truncatedMs !== null)",
            TimeSpan.FromSeconds(40));
        var record = (await browser.StatsAsync()).GetProperty("interruptions")[0];
        var item = record.GetProperty("item").GetString()!;
        var playedMs = record.GetProperty("playedMs").GetInt32();
        var stopMs = record.GetProperty("stopMs").GetDouble();
        var sinceStartMs = record.GetProperty("playedSinceStartMs").GetDouble();
        output.WriteLine($"barge-in: item {item}, stopped {stopMs:F1} ms after speech_started, {playedMs} ms played ({sinceStartMs:F0} ms of page time since its audio started), truncated to {record.GetProperty("truncatedMs")}");

        // speech_started interrupted a response that was still playing, which the service then cancelled.
        var speechStarted = await browser.EventsAsync("input_audio_buffer.speech_started");
        Assert.Equal(2, speechStarted.Length);
        Assert.Equal("speech_started", record.GetProperty("reason").GetString());
        var done = (await browser.EventsAsync("response.done"))[0].GetProperty("response");
        Assert.Equal("cancelled", done.GetProperty("status").GetString());
        Assert.Equal("turn_detected", done.GetProperty("status_details").GetProperty("reason").GetString());

        // Playback stopped within 100 ms of page time, part-way through a long answer.
        Assert.InRange(stopMs, 0, 100);
        Assert.InRange(playedMs, 200, question.DurationMs - 200);

        // The service received exactly one truncate, for the playing item, at exactly what the page played (both are
        // the worklet's count of played samples, so no clock enters). (The page's clock since the item began is logged
        // above, not asserted: on a loaded machine the audio thread falls behind the clock, and what counts is what was
        // played.)
        var truncates = ClientEvents(connection, "conversation.item.truncate");
        var truncate = Assert.Single(truncates);
        Assert.Equal(item, truncate.GetProperty("item_id").GetString());
        Assert.Equal(0, truncate.GetProperty("content_index").GetInt32());
        var audioEndMs = truncate.GetProperty("audio_end_ms").GetInt32();
        Assert.Equal(playedMs, audioEndMs);
        Assert.Equal(audioEndMs, record.GetProperty("truncatedMs").GetInt32());

        // Nothing more of the interrupted item is played (the deltas still in flight are dropped), and the next
        // turn, the interruption itself, is answered and played.
        await browser.WaitForAsync(
            "() => { const s = window.voiceBridgeDemo.client.stats; const next = s.turns[1]?.item;"
            + " return window.__events.filter((e) => e.type === 'response.done').length === 2"
            + " && next !== undefined && s.receivedByItem[next] > 0 && s.playedByItem[next] === s.receivedByItem[next]; }",
            TimeSpan.FromSeconds(20));
        var stats = await browser.StatsAsync();
        Assert.Equal(2, (await browser.EventsAsync("response.done")).Length);
        Assert.Equal(playedMs, (int)Math.Floor(stats.GetProperty("playedByItem").GetProperty(item).GetDouble() * 1000 / WireRate));
        Assert.True(
            stats.GetProperty("receivedByItem").GetProperty(item).GetDouble() > stats.GetProperty("playedByItem").GetProperty(item).GetDouble(),
            "the interrupted item had more audio buffered than was played: the flush dropped it");
        Assert.Empty(await browser.ClientErrorsAsync());
        Assert.Empty(browser.PageErrors);
        Assert.Equal(1, await browser.Page.Locator("#transcript li.assistant.interrupted").CountAsync());

        output.WriteLine($"screenshot: {await browser.ScreenshotAsync("barge-in")}");
    }

    [Fact]
    public async Task OperatorInterrupt_StopsPlaybackAndTruncates_ThenAnOperatorHangUpIsExplainedInPlainWords()
    {
        using var timeout = TestTimeout.Source(90);
        var ct = timeout.Token;

        var question = await SpokenAudio.SpeakAsync("Please read me the whole list of everything the bridge can do for a caller.", ct);
        var rate = question.SampleRate;
        var microphone = SpokenAudio.Concat(SpokenAudio.Silence(500, rate), question, SpokenAudio.Silence(8000, rate));
        using var wav = TempWav.Write(microphone);

        await using var upstream = await StartPacedSimulatorAsync();
        const string AdminKey = "browser-test-admin-key-0123456789";
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?> { ["VoiceBridge:Admin:ApiKey"] = AdminKey });
        using var admin = bridge.CreateHttpClient();
        admin.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", AdminKey);

        await using var browser = await DemoPageBrowser.OpenAsync(bridge.BaseUri, wav.Path, output);
        await browser.ConnectAsync();
        var connection = await upstream.NextConnectionAsync(ct);
        using var sessions = JsonDocument.Parse(await admin.GetStringAsync(new Uri("/admin/sessions", UriKind.Relative), ct));
        var sessionId = sessionsId(sessions);

        // The answer is playing (a second of it heard) when the operator interrupts.
        await browser.WaitForAsync(
            "() => { const s = window.voiceBridgeDemo.client.stats; return s.turns.length === 1 && s.playedByItem[s.turns[0].item] >= 24000; }",
            TimeSpan.FromSeconds(30));
        using (var interrupt = await admin.PostAsync(new Uri($"/admin/sessions/{sessionId}/interrupt", UriKind.Relative), null, ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, interrupt.StatusCode);
        }

        await browser.WaitForAsync(
            "() => window.voiceBridgeDemo.client.stats.interruptions.some((i) => i.truncatedMs !== null)",
            TimeSpan.FromSeconds(10));
        var record = (await browser.StatsAsync()).GetProperty("interruptions")[0];
        var playedMs = record.GetProperty("playedMs").GetInt32();
        output.WriteLine($"operator interrupt: stopped {record.GetProperty("stopMs").GetDouble():F1} ms after output_audio_buffer.cleared, {playedMs} ms played");
        Assert.Equal("cleared", record.GetProperty("reason").GetString());
        Assert.InRange(record.GetProperty("stopMs").GetDouble(), 0, 100);
        Assert.InRange(playedMs, 900, question.DurationMs - 200);
        var truncate = Assert.Single(ClientEvents(connection, "conversation.item.truncate"));
        Assert.Equal(record.GetProperty("item").GetString(), truncate.GetProperty("item_id").GetString());
        Assert.Equal(playedMs, truncate.GetProperty("audio_end_ms").GetInt32());
        var done = Assert.Single(await browser.EventsAsync("response.done")).GetProperty("response");
        Assert.Equal("cancelled", done.GetProperty("status").GetString());

        // The operator ends the call: the page says so, with the operator's reason, in plain words.
        using (var end = await admin.DeleteAsync(new Uri($"/admin/sessions/{sessionId}?reason=Call%20transferred%20to%20billing", UriKind.Relative), ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, end.StatusCode);
        }

        await browser.WaitForAsync("() => window.voiceBridgeDemo.client.state === 'closed'", TimeSpan.FromSeconds(10));
        var shown = await browser.Page.InnerTextAsync("#error");
        Assert.Equal("An operator ended the call. Reason: Call transferred to billing", shown);
        Assert.True(await browser.Page.IsVisibleAsync("#error"));
        Assert.Empty(browser.PageErrors);
        await bridge.WaitForNoSessionsAsync(ct);

        static string sessionsId(JsonDocument list) => list.RootElement.GetProperty("sessions")[0].GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Token_ARefusedConnectionIsExplained_AndTheTokenFromThePageConnects()
    {
        using var timeout = TestTimeout.Source(60);
        var ct = timeout.Token;
        using var wav = TempWav.Write(SpokenAudio.Silence(2000, 24_000));

        var key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url, new Dictionary<string, string?>
        {
            ["VoiceBridge:Auth:Mode"] = "Token",
            ["VoiceBridge:Auth:SigningKey"] = Convert.ToBase64String(key),
        });
        await using var browser = await DemoPageBrowser.OpenAsync(bridge.BaseUri, wav.Path, output);

        // No token: the bridge answers 401 before the upgrade; a browser only sees the socket fail, and the page
        // says what that can mean. The microphone is released.
        await browser.Page.ClickAsync("#connect");
        await browser.WaitForAsync("() => window.voiceBridgeDemo.client.state === 'closed'", TimeSpan.FromSeconds(10));
        Assert.StartsWith("Could not connect to the bridge.", await browser.Page.InnerTextAsync("#error"), StringComparison.Ordinal);
        Assert.Equal(0, upstream.HandshakeCount);

        // With a token typed into the page, it connects (the token rides in the subprotocol, never upstream).
        var token = HandJwt.Sign(HandJwt.Claims(DateTimeOffset.UtcNow.AddMinutes(5), "browser-user"), key: key);
        await browser.Page.ClickAsync(".token summary");
        await browser.Page.FillAsync("#token", token);
        await browser.ConnectAsync();
        Assert.False(await browser.Page.IsVisibleAsync("#error"));
        var handshake = Assert.Single(upstream.Handshakes);
        Assert.DoesNotContain(handshake.Headers.Values, v => v.Contains(token, StringComparison.Ordinal));
        Assert.DoesNotContain(token, handshake.PathAndQuery, StringComparison.Ordinal);

        await browser.Page.ClickAsync("#hangup");
        await browser.WaitForAsync("() => window.voiceBridgeDemo.client.state === 'closed'", TimeSpan.FromSeconds(5));
        await bridge.WaitForNoSessionsAsync(ct);
        Assert.Empty(browser.PageErrors);
    }

    [Fact]
    public async Task DevelopmentProcess_OnItsBuiltInSimulator_ThePageHoldsAConversation()
    {
        // What `dotnet run --project src/VoiceBridge` gives a newcomer: the real process, Development, no key, the
        // built-in simulator, the page at `/` (launchSettings.json also turns input transcription on).
        using var timeout = TestTimeout.Source(90);
        var ct = timeout.Token;
        var speech = await SpokenAudio.SpeakAsync("Good morning. Is anybody there?", ct);
        using var wav = TempWav.Write(SpokenAudio.Concat(SpokenAudio.Silence(500, speech.SampleRate), speech, SpokenAudio.Silence(2500, speech.SampleRate)));

        await using var process = ProcessLevel.BridgeProcess.Start("Development", new Dictionary<string, string>
        {
            ["VoiceBridge__Session__TranscriptionModel"] = "gpt-4o-mini-transcribe",
        });
        (await process.WaitForHealthyAsync(ct)).Dispose();

        await using var browser = await DemoPageBrowser.OpenAsync(process.BaseUri, wav.Path, output);
        await browser.ConnectAsync();
        await browser.WaitForAsync(
            "() => { const s = window.voiceBridgeDemo.client.stats; return s.turns.length === 1 && s.samplesPlayed > 0 && s.samplesPlayed === s.samplesReceived"
            + " && document.querySelector('#transcript li.assistant:not(.partial)') !== null && document.querySelector('#transcript li.user') !== null; }",
            TimeSpan.FromSeconds(30));

        var stats = await browser.StatsAsync();
        var playedMs = stats.GetProperty("samplesPlayed").GetDouble() * 1000 / WireRate;
        output.WriteLine($"played {playedMs:F0} ms of the simulator's answer; the question was {speech.DurationMs:F0} ms");
        Assert.True(playedMs >= speech.DurationMs, "the simulator echoes the whole turn");
        Assert.Contains("simulated transcript of", await browser.Page.InnerTextAsync("#transcript li.user"), StringComparison.Ordinal);
        Assert.StartsWith("You said something for", await browser.Page.InnerTextAsync("#transcript li.assistant"), StringComparison.Ordinal);
        Assert.Empty(await browser.ClientErrorsAsync());
        Assert.Empty(browser.PageErrors);
        output.WriteLine($"screenshot: {await browser.ScreenshotAsync("development-simulator")}");
    }

    private static List<JsonElement> ClientEvents(UpstreamConnection connection, string type)
    {
        var events = new List<JsonElement>();
        foreach (var frame in connection.Received)
        {
            if (frame.Type == WebSocketMessageType.Text)
            {
                using var json = JsonDocument.Parse(frame.Payload);
                if (json.RootElement.GetProperty("type").GetString() == type)
                {
                    events.Add(json.RootElement.Clone());
                }
            }
        }

        return events;
    }

    private static byte[] AppendedAudio(UpstreamConnection connection)
    {
        using var audio = new MemoryStream();
        foreach (var append in ClientEvents(connection, "input_audio_buffer.append"))
        {
            audio.Write(append.GetProperty("audio").GetBytesFromBase64());
        }

        return audio.ToArray();
    }

    /// <summary>
    /// The simulator as the product runs it: 100 ms deltas every 50 ms (twice real time), so playback is paced by the
    /// page's jitter buffer, not by a burst.
    /// </summary>
    private static Task<FakeUpstream> StartPacedSimulatorAsync() => FakeUpstream.StartAsync(o =>
    {
        o.DeltaInterval = TimeSpan.FromMilliseconds(50);
        o.DeltaBytes = 4800;
    });

    /// <summary>A WAV file for the fake microphone, deleted with the test.</summary>
    private sealed class TempWav : IDisposable
    {
        private TempWav(string path) => Path = path;

        public string Path { get; }

        public static TempWav Write(SpokenAudio audio)
        {
            var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"voicebridge-mic-{Guid.NewGuid():N}.wav");
            audio.WriteWav(path);
            return new TempWav(path);
        }

        public void Dispose() => File.Delete(Path);
    }
}
