using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>A browser talks to the simulator through the bridge with server VAD on (the bridge's default session).</summary>
public sealed class ServerVadConversationTests
{
    /// <summary>§7 without the deltas: the order a client sees for one server-VAD turn.</summary>
    private static readonly string[] TurnOrder =
    [
        "session.created",
        "session.updated",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
        "rate_limits.updated",
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ServerVadTurn_SpeechThenSilenceInPcmFrames_FullEventOrderAndEchoOfTheSpokenAudio(bool binaryAudio)
    {
        var ct = TestTimeout.Token();
        await using var upstream = await FakeUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url);
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(binaryAudio ? "?audio=binary" : string.Empty), ct);
        var conversation = new BrowserConversation(browser, binaryAudio);

        // 400 ms of room silence, 1.2 s of speech, then enough silence for the default 500 ms end-of-turn.
        var sent = TestAudio.Concat(TestAudio.Silence(400), TestAudio.Voiced(1200, seed: 11), TestAudio.Silence(800));
        await conversation.SendFramesAsync(sent, ct);
        await conversation.WaitForAsync("rate_limits.updated", ct);

        Assert.Equal(TurnOrder, conversation.Types.Where(t => !BrowserConversation.IsDelta(t)));

        // Every delta streams between the content part's start and the end of its audio.
        var types = conversation.Types.ToList();
        var firstDelta = types.FindIndex(BrowserConversation.IsDelta);
        var lastDelta = types.FindLastIndex(BrowserConversation.IsDelta);
        Assert.True(firstDelta > types.IndexOf("response.content_part.added"));
        Assert.True(lastDelta < types.IndexOf("response.output_audio.done"));
        Assert.Contains("response.output_audio_transcript.delta", types);

        // One user item from speech_started to the commit; one response from created to done.
        var started = conversation.Events.Single(e => e.Type == "input_audio_buffer.speech_started");
        var stopped = conversation.Events.Single(e => e.Type == "input_audio_buffer.speech_stopped");
        var committed = conversation.Events.Single(e => e.Type == "input_audio_buffer.committed");
        Assert.Equal(started.StringAt("item_id"), stopped.StringAt("item_id"));
        Assert.Equal(started.StringAt("item_id"), committed.StringAt("item_id"));
        var created = conversation.Events.Single(e => e.Type == "response.created");
        var done = conversation.Events.Single(e => e.Type == "response.done");
        var responseId = created.StringAt("response", "id")!;
        Assert.Equal(responseId, done.StringAt("response", "id"));
        Assert.Equal("completed", done.StringAt("response", "status"));

        // The turn spans the prefix padding (300 ms before the speech) to the end of the 500 ms of silence, and the
        // simulator says it back: the browser hears exactly the audio it sent over that span.
        Assert.Equal(100, started.Number("audio_start_ms"));
        Assert.Equal(2100, stopped.Number("audio_end_ms"));
        var expected = TestAudio.Slice(sent, started.Number("audio_start_ms"), stopped.Number("audio_end_ms"));
        var heard = conversation.AudioOf(responseId);
        Assert.NotEmpty(heard);
        Assert.Equal(expected.Length, heard.Length);
        Assert.Equal(expected, heard);
    }

    [Fact]
    public async Task ServerVadTurn_AzurePreviewBetaDialectInBinaryAudioMode_BetaEventsAndTheEchoAsBinaryFrames()
    {
        var ct = TestTimeout.Token();
        await using var upstream = await SimulatorUpstream.StartAsync();
        await using var bridge = new BridgeApp(upstream.Url("/openai/realtime?api-version=2025-04-01-preview&deployment=my-dep"), new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Azure",
            ["VoiceBridge:Upstream:SessionShape"] = "Beta",
        });
        await using var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri("?audio=binary"), ct);
        var conversation = new BrowserConversation(browser, binaryAudio: true);

        var sent = TestAudio.Concat(TestAudio.Voiced(800, seed: 12), TestAudio.Silence(700));
        await conversation.SendFramesAsync(sent, ct);
        var done = await conversation.WaitForAsync("response.done", ct);

        // The beta names: conversation.item.created and response.audio.delta, which binary mode also splits.
        Assert.DoesNotContain("error", conversation.Types);
        Assert.Contains("conversation.item.created", conversation.Types);
        Assert.Contains("response.audio.delta", conversation.Types);
        Assert.DoesNotContain("response.output_audio.delta", conversation.Types);
        Assert.Equal("completed", done.StringAt("response", "status"));

        var stopped = conversation.Events.Single(e => e.Type == "input_audio_buffer.speech_stopped");
        Assert.Equal(1300, stopped.Number("audio_end_ms"));
        Assert.Equal(TestAudio.Slice(sent, 0, 1300), conversation.AudioOf(done.StringAt("response", "id")!));
    }
}
