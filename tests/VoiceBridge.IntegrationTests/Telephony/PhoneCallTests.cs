using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Browser;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Telephony;

/// <summary>A phone call through the bridge: µ-law passed through both ways, 160-byte chunks with marks, barge-in at what was heard.</summary>
public sealed class PhoneCallTests
{
    private const string CallSid = "CA11111111111111111111111111111111";

    [Fact]
    public async Task SessionUpdate_PhoneSession_AsksForPcmuBothWaysWithThePhoneOverrides()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);

        var update = await PhoneScene.WaitForUpstreamAsync(upstream, _ => true, ct);
        Assert.Equal("session.update", update.GetProperty("type").GetString());
        var session = update.GetProperty("session");
        Assert.Equal("audio/pcmu", session.GetProperty("audio").GetProperty("input").GetProperty("format").GetProperty("type").GetString());
        Assert.Equal("audio/pcmu", session.GetProperty("audio").GetProperty("output").GetProperty("format").GetProperty("type").GetString());
        Assert.False(session.GetProperty("audio").GetProperty("output").GetProperty("format").TryGetProperty("rate", out _));
        Assert.Equal(PhoneScene.PhoneVoice, session.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        Assert.Equal(PhoneScene.PhoneInstructions, session.GetProperty("instructions").GetString());
    }

    [Fact]
    public async Task Media_CallerAudio_AppendedWithTheSameBase64InOrder()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        var payloads = Enumerable.Range(0, 5).Select(i => Convert.ToBase64String(Enumerable.Range(0, 160).Select(b => (byte)(b * 7 + i)).ToArray())).ToList();
        foreach (var payload in payloads)
        {
            await stream.SendMediaAsync(payload, ct);
        }

        await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "input_audio_buffer.append") && e.GetProperty("audio").GetString() == payloads[^1], ct);
        var appends = PhoneScene.Events(upstream).Where(e => PhoneScene.IsType(e, "input_audio_buffer.append")).Select(e => e.GetProperty("audio").GetString()!).ToList();
        Assert.Equal(payloads, appends);
    }

    [Fact]
    public async Task OutputAudio_Deltas_SentAs160ByteMediaInOrderWithMarks()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        var audio = Enumerable.Range(0, 1000).Select(i => (byte)(i * 31)).ToArray();

        await SendDeltasAsync(upstream, "item_A", audio, [333, 333, 334], ct);
        await upstream.SendTextAsync("""{"type":"response.output_audio.done","item_id":"item_A","response_id":"resp_1","output_index":0,"content_index":0}""", ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "mark") && stream.Received.Count(r => TwilioStream.Is(r, "mark")) == 2, ct);

        var sent = stream.Received.ToList();
        Assert.All(sent, m => Assert.Equal(stream.StreamSid, m.GetProperty("streamSid").GetString()));
        var shape = string.Join(",", sent.Select(m => TwilioStream.Is(m, "media") ? Payload(m).Length.ToString() : m.GetProperty("event").GetString()));
        Assert.Equal("160,160,160,160,160,mark,160,40,mark", shape);
        Assert.Equal(audio, sent.Where(m => TwilioStream.Is(m, "media")).SelectMany(Payload).ToArray());
    }

    [Fact]
    public async Task BargeIn_SpeechStarted_ClearsThenTruncatesAtTheMarksHeardAndSkipsTheRest()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        await SendDeltasAsync(upstream, "item_A", new byte[2400], [800, 800, 800], ct);

        // 300 ms sent, three marks; Twilio has played the first 200 ms.
        var marks = new List<string>();
        while (marks.Count < 3)
        {
            var mark = await stream.ReadUntilAsync(m => TwilioStream.Is(m, "mark"), ct);
            marks.Add(mark.GetProperty("mark").GetProperty("name").GetString()!);
        }

        await stream.SendMarkAsync(marks[0], ct);
        await stream.SendMarkAsync(marks[1], ct);
        await SendDeltasAsync(upstream, "item_A", new byte[160], [160], ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "media"), ct);

        // A client's acknowledgements race the speech event: give the bridge the marks first, as Twilio's own order would.
        await AcknowledgedAsync(stream, upstream, ct);
        var before = stream.Received.Count;
        await upstream.SendTextAsync("""{"type":"input_audio_buffer.speech_started","audio_start_ms":900,"item_id":"item_U"}""", ct);

        var truncate = await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "conversation.item.truncate"), ct);
        Assert.Equal("item_A", truncate.GetProperty("item_id").GetString());
        Assert.Equal(0, truncate.GetProperty("content_index").GetInt32());
        Assert.Equal(200, truncate.GetProperty("audio_end_ms").GetInt64());

        // The interrupted item's later audio is skipped; the next response plays, after the clear.
        await SendDeltasAsync(upstream, "item_A", Enumerable.Repeat((byte)0x11, 320).ToArray(), [320], ct);
        await SendDeltasAsync(upstream, "item_B", Enumerable.Repeat((byte)0x22, 160).ToArray(), [160], ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "media") && Payload(m)[0] == 0x22, ct);
        var after = stream.Received.Skip(before).ToList();
        Assert.Equal("clear", after[0].GetProperty("event").GetString());
        Assert.DoesNotContain(after, m => TwilioStream.Is(m, "media") && Payload(m)[0] == 0x11);
    }

    [Fact]
    public async Task BargeIn_TwilioPlayingInRealTime_TruncatesAtTheLastMarkItEchoedAndPlaybackStops()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var player = stream.PlayInRealTime();
        var upstream = await scene.Upstream.NextConnectionAsync(ct);

        // Three seconds of answer arrive at once, far faster than the phone plays them.
        var answer = Enumerable.Repeat((byte)0x33, 24_000).ToArray();
        await SendDeltasAsync(upstream, "item_A", answer, [.. Enumerable.Repeat(2_400, 10)], ct);
        await player.WaitForEchoedAsync(500, ct);
        var heardBefore = player.Echoed[^1].PlayedMs;
        await AcknowledgedAsync(stream, upstream, ct);

        await upstream.SendTextAsync("""{"type":"input_audio_buffer.speech_started","audio_start_ms":900,"item_id":"item_U"}""", ct);
        var truncate = await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "conversation.item.truncate"), ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "clear"), ct);
        var echoed = player.Echoed;

        // What the caller heard, as Twilio's echoed marks say: at least what was echoed before the speech, never more
        // than was echoed by the time the truncate went, and exactly at one of those marks (a mark every 100 ms).
        var audioEnd = truncate.GetProperty("audio_end_ms").GetInt64();
        Assert.Equal("item_A", truncate.GetProperty("item_id").GetString());
        Assert.InRange(audioEnd, heardBefore, echoed[^1].PlayedMs);
        Assert.Contains(echoed, e => e.PlayedMs == audioEnd);
        Assert.True(audioEnd < 3_000, $"the truncate at {audioEnd} ms must be before the end of the answer");

        // The clear stopped playback: far less than the answer was played, and its pending marks came back unplayed.
        Assert.True(player.PlayedMs < 2_000, $"played {player.PlayedMs} ms of 3,000");
        Assert.NotEmpty(player.ClearedMarks);
    }

    [Fact]
    public async Task BargeIn_EverythingSentWasHeard_NeitherClearNorTruncate()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        await SendDeltasAsync(upstream, "item_A", new byte[400], [400], ct);
        await upstream.SendTextAsync("""{"type":"response.output_audio.done","item_id":"item_A"}""", ct);
        var last = await stream.ReadUntilAsync(m => TwilioStream.Is(m, "mark") && stream.Received.Count(r => TwilioStream.Is(r, "media")) == 3, ct);
        await stream.SendMarkAsync(last.GetProperty("mark").GetProperty("name").GetString()!, ct);
        await AcknowledgedAsync(stream, upstream, ct);

        await upstream.SendTextAsync("""{"type":"input_audio_buffer.speech_started","audio_start_ms":900,"item_id":"item_U"}""", ct);
        await stream.SendDtmfAsync("1", ct);
        await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "conversation.item.create"), ct);
        await SendDeltasAsync(upstream, "item_B", Enumerable.Repeat((byte)0x22, 160).ToArray(), [160], ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "media") && Payload(m)[0] == 0x22, ct);

        Assert.DoesNotContain(stream.Received, m => TwilioStream.Is(m, "clear"));
        Assert.DoesNotContain(PhoneScene.Events(upstream), e => PhoneScene.IsType(e, "conversation.item.truncate"));
    }

    [Fact]
    public async Task Dtmf_KeyPress_BecomesAUserTextItem()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);

        await stream.SendDtmfAsync("5", ct);

        var item = (await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "conversation.item.create"), ct)).GetProperty("item");
        Assert.Equal("message", item.GetProperty("type").GetString());
        Assert.Equal("user", item.GetProperty("role").GetString());
        var content = Assert.Single(item.GetProperty("content").EnumerateArray());
        Assert.Equal("input_text", content.GetProperty("type").GetString());
        Assert.Equal("[DTMF 5]", content.GetProperty("text").GetString());
    }

    [Fact]
    public async Task Greeting_Configured_ResponseCreateRightAfterTheSessionUpdate()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync(settings: new Dictionary<string, string?> { ["VoiceBridge:Telephony:Twilio:Greeting"] = "Greet the caller warmly." });
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        await stream.SendMediaAsync(Convert.ToBase64String(new byte[160]), ct);

        await PhoneScene.WaitForUpstreamAsync(upstream, e => PhoneScene.IsType(e, "input_audio_buffer.append"), ct);
        var events = PhoneScene.Events(upstream).ToList();
        Assert.Equal("session.update", events[0].GetProperty("type").GetString());
        Assert.Equal("response.create", events[1].GetProperty("type").GetString());
        Assert.Equal("Greet the caller warmly.", events[1].GetProperty("response").GetProperty("instructions").GetString());
    }

    [Fact]
    public async Task Stop_CallerHungUp_UpstreamClosedWith1000()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        await upstream.Socket.WaitForFramesAsync(1, ct);

        await stream.SendStopAsync(CallSid, ct);

        await upstream.Socket.Closed.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, upstream.Socket.ReceivedCloseStatus);
        await scene.Bridge.WaitForNoSessionsAsync(ct);
    }

    [Theory]
    [InlineData(WebSocketCloseStatus.NormalClosure, WebSocketCloseStatus.NormalClosure)]
    [InlineData(WebSocketCloseStatus.InternalServerError, WebSocketCloseStatus.InternalServerError)]
    [InlineData((WebSocketCloseStatus)1013, WebSocketCloseStatus.InternalServerError)]
    public async Task UpstreamEnds_MediaSocketClosed(WebSocketCloseStatus upstreamClose, WebSocketCloseStatus expected)
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync(settings: new Dictionary<string, string?> { ["VoiceBridge:Continuity:ReconnectUpstream"] = "false" });
        await using var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        await upstream.Socket.WaitForFramesAsync(1, ct);

        await upstream.CloseAsync(upstreamClose, "done", ct);

        await stream.Closed.WaitAsync(ct);
        Assert.Equal(expected, stream.Socket.CloseStatus);
        Assert.DoesNotContain(stream.Received, m => !TwilioStream.Is(m, "media") && !TwilioStream.Is(m, "mark") && !TwilioStream.Is(m, "clear"));
    }

    [Fact]
    public async Task UpstreamDrops_ReplacedWithPcmuAndTheCallGoesOn()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        await using var stream = await scene.CallAsync(CallSid, ct);
        var first = await scene.Upstream.NextConnectionAsync(ct);
        await first.Socket.WaitForFramesAsync(1, ct);

        first.DropTcp();
        var second = await scene.Upstream.NextConnectionAsync(ct);

        // The replacement is primed with the phone's own session.update, and the call's audio flows on through it.
        var update = await PhoneScene.WaitForUpstreamAsync(second, e => PhoneScene.IsType(e, "session.update"), ct);
        Assert.Equal("audio/pcmu", update.GetProperty("session").GetProperty("audio").GetProperty("input").GetProperty("format").GetProperty("type").GetString());
        var payload = Convert.ToBase64String(Enumerable.Repeat((byte)0x55, 160).ToArray());
        await stream.SendMediaAsync(payload, ct);
        await PhoneScene.WaitForUpstreamAsync(second, e => PhoneScene.IsType(e, "input_audio_buffer.append") && e.GetProperty("audio").GetString() == payload, ct);
        await SendDeltasAsync(second, "item_R", Enumerable.Repeat((byte)0x33, 160).ToArray(), [160], ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "media") && Payload(m)[0] == 0x33, ct);
        Assert.Equal(WebSocketState.Open, stream.Socket.State);
    }

    [Fact]
    public async Task MediaSocketVanishes_SessionEndsAndUpstreamClosedWith1000()
    {
        var ct = TestTimeout.Token();
        await using var scene = await PhoneScene.StartAsync();
        var stream = await scene.CallAsync(CallSid, ct);
        var upstream = await scene.Upstream.NextConnectionAsync(ct);
        await upstream.Socket.WaitForFramesAsync(1, ct);

        // No stop, no close frame: Twilio's connection is simply gone. A phone cannot resume, so the call ends now.
        await stream.DisposeAsync();

        await upstream.Socket.Closed.WaitAsync(ct);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, upstream.Socket.ReceivedCloseStatus);
        await scene.Bridge.WaitForNoSessionsAsync(ct);
    }

    [Fact]
    public async Task Simulator_SpokenCall_AnswersInMuLaw()
    {
        var ct = TestTimeout.Token(60);
        await using var scene = await PhoneScene.StartAsync(simulator: true);
        await using var stream = await scene.CallAsync(CallSid, ct);
        var speech = await CallerAudio.SpeakAsync("Hello, I would like to check my order please.", ct);
        var silence = Enumerable.Repeat((byte)0xFF, 8 * 1500).ToArray();

        await stream.SendAudioAsync([.. silence[..1600], .. speech, .. silence], ct);

        // The simulator heard speech on µ-law (its VAD) and echoes it back as µ-law, chunked and marked by the bridge.
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "media") && Payload(m).Any(b => b is not (0xFF or 0x7F)), ct);
        await stream.ReadUntilAsync(m => TwilioStream.Is(m, "mark"), ct);
        var sent = stream.Received.ToList();
        Assert.True(sent.Count(m => TwilioStream.Is(m, "media")) >= 5);

        // Every chunk is 20 ms but a response's last, which a mark follows.
        for (var i = 0; i < sent.Count - 1; i++)
        {
            if (TwilioStream.Is(sent[i], "media") && !TwilioStream.Is(sent[i + 1], "mark"))
            {
                Assert.Equal(160, Payload(sent[i]).Length);
            }
        }
    }

    private static byte[] Payload(JsonElement media) => Convert.FromBase64String(media.GetProperty("media").GetProperty("payload").GetString()!);

    private static async Task SendDeltasAsync(UpstreamConnection upstream, string item, byte[] audio, int[] sizes, CancellationToken ct)
    {
        var at = 0;
        foreach (var size in sizes)
        {
            var delta = Convert.ToBase64String(audio, at, size);
            at += size;
            await upstream.SendTextAsync($$"""{"type":"response.output_audio.delta","event_id":"event_1","response_id":"resp_1","item_id":"{{item}}","output_index":0,"content_index":0,"delta":"{{delta}}"}""", ct);
        }
    }

    /// <summary>Marks travel Twilio→bridge while speech events travel service→bridge: a dtmf round trip orders them in the test.</summary>
    private static async Task AcknowledgedAsync(TwilioStream stream, UpstreamConnection upstream, CancellationToken ct)
    {
        var before = PhoneScene.Events(upstream).Count(e => PhoneScene.IsType(e, "conversation.item.create"));
        await stream.SendDtmfAsync("0", ct);
        await PhoneScene.WaitForUpstreamAsync(upstream, _ => PhoneScene.Events(upstream).Count(e => PhoneScene.IsType(e, "conversation.item.create")) > before, ct);
    }
}
