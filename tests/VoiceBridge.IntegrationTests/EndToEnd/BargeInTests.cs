using System.Diagnostics;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>§7 interruption through the bridge: the user speaks over the answer, the browser truncates what it played.</summary>
public sealed class BargeInTests
{
    [Fact]
    public async Task BargeIn_SpeechDuringTheAnswer_ResponseCancelledByTurnDetectionAndTruncateAcknowledged()
    {
        var ct = TestTimeout.Token();

        // A paced answer: 2.5 s of echo in 50 ms deltas every 25 ms takes well over a second to stream.
        await using var upstream = await FakeUpstream.StartAsync(o =>
        {
            o.DeltaInterval = TimeSpan.FromMilliseconds(25);
            o.DeltaBytes = 50 * TestAudio.BytesPerMs;
        });
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(), ct);
        var conversation = new BrowserConversation(browser);

        var question = TestAudio.Concat(TestAudio.Voiced(2000, seed: 21), TestAudio.Silence(600));
        await conversation.SendFramesAsync(question, ct);
        var created = await conversation.WaitForAsync("response.created", ct);
        var responseId = created.StringAt("response", "id")!;
        var assistantItemId = (await conversation.WaitForAsync("response.output_item.added", ct)).StringAt("item", "id")!;

        // The browser starts playing at the first delta and hears a few more before the user talks over it.
        await conversation.WaitForAsync(e => e.Audio is not null, ct);
        var playback = Stopwatch.StartNew();
        for (var i = 0; i < 3; i++)
        {
            await conversation.WaitForAsync(e => e.Audio is not null, ct);
        }

        await conversation.SendFramesAsync(TestAudio.Voiced(300, seed: 22), ct);

        var interruption = await conversation.WaitForAsync(e => e.Type == "input_audio_buffer.speech_started" && e.Number("audio_start_ms") >= 2000, ct);
        var done = await conversation.WaitForAsync("response.done", ct);
        Assert.Equal(responseId, done.StringAt("response", "id"));
        Assert.Equal("cancelled", done.StringAt("response", "status"));
        Assert.Equal("cancelled", done.StringAt("response", "status_details", "type"));
        Assert.Equal("turn_detected", done.StringAt("response", "status_details", "reason"));
        Assert.True(conversation.Events.IndexOf(interruption) < conversation.Events.IndexOf(done));

        // The answer was cut short: what arrived is a proper prefix of the echo.
        var received = conversation.AudioOf(responseId);
        var fullAnswer = TestAudio.Slice(question, 0, 2500);
        Assert.InRange(received.Length, 4 * 50 * TestAudio.BytesPerMs, fullAnswer.Length - 1);
        Assert.Equal(fullAnswer[..received.Length], received);

        // What was played: the smaller of the wall-clock since the first delta and the audio received (Agents JS).
        var playedMs = (int)Math.Min(playback.ElapsedMilliseconds, received.Length / TestAudio.BytesPerMs);
        await browser.SendTextAsync(
            $$"""{"type":"conversation.item.truncate","event_id":"evt_truncate_1","item_id":"{{assistantItemId}}","content_index":0,"audio_end_ms":{{playedMs}}}""",
            ct);

        var truncated = await conversation.WaitForAsync(e => e.Type is "conversation.item.truncated" or "error", ct);
        Assert.Equal("conversation.item.truncated", truncated.Type);
        Assert.Equal(assistantItemId, truncated.StringAt("item_id"));
        Assert.Equal(0, truncated.Number("content_index"));
        Assert.Equal(playedMs, truncated.Number("audio_end_ms"));
    }
}
