using System.Text.Json;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class RealtimeSimulatorResponseTests
{
    private const string ManualMode = """{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}""";

    private static readonly string[] ResponseStart =
        ["response.created", "response.output_item.added", "conversation.item.added", "response.content_part.added"];

    private static readonly string[] ResponseEnd =
    [
        "response.output_audio.done", "response.output_audio_transcript.done", "response.content_part.done",
        "response.output_item.done", "conversation.item.done", "response.done", "rate_limits.updated",
    ];

    [Fact]
    public async Task Commit_LessThan100Ms_ReturnsCommitEmptyError()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync(ManualMode, cts.Token);
        await client.ReceiveEventAsync(cts.Token);

        await client.AppendAsync(Pcm.Noise(50, seed: 1), cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""", cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("input_audio_buffer_commit_empty", error.Str("error.code"));
        Assert.Equal(
            "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has 50.00ms of audio.",
            error.Str("error.message"));
    }

    [Fact]
    public async Task ManualTurn_CommitThenResponseCreate_StreamsFullSequenceEchoingTheAudio()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync(ManualMode, cts.Token);
        await client.ReceiveEventAsync(cts.Token);
        var first = Pcm.Noise(150, seed: 2);
        var second = Pcm.Noise(100, seed: 3);

        await client.AppendAsync(first, cts.Token);
        await client.AppendAsync(second, cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""", cts.Token);
        var commit = await client.ReceiveUntilAsync("conversation.item.done", cts.Token);
        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var response = await client.ReceiveUntilAsync("rate_limits.updated", cts.Token);

        Assert.Equal(["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"], commit.Select(e => e.Type()));
        var userItemId = commit[0].Str("item_id");
        Assert.Equal(userItemId, commit[1].Str("item.id"));
        Assert.Equal("user", commit[1].Str("item.role"));
        Assert.Equal("input_audio", commit[2].At("item.content")[0].Str("type"));
        Assert.Equal(JsonValueKind.Null, commit[2].At("item.content")[0].GetProperty("transcript").ValueKind);

        var types = response.Select(e => e.Type()).ToList();
        Assert.Equal(ResponseStart, types.Take(4));
        Assert.Equal(ResponseEnd, types.TakeLast(7));
        var deltas = types.Skip(4).SkipLast(7).ToList();
        Assert.All(deltas, t => Assert.Contains(t, new[] { "response.output_audio.delta", "response.output_audio_transcript.delta" }));
        Assert.Equal("response.output_audio_transcript.delta", deltas[0]);
        Assert.Equal("response.output_audio.delta", deltas[1]);

        var echoed = response.Where(e => e.Type() == "response.output_audio.delta").SelectMany(e => Convert.FromBase64String(e.Str("delta"))).ToArray();
        Assert.Equal(first.Concat(second).ToArray(), echoed);
        Assert.Equal(3, response.Count(e => e.Type() == "response.output_audio.delta"));

        var transcript = string.Concat(response.Where(e => e.Type() == "response.output_audio_transcript.delta").Select(e => e.Str("delta")));
        Assert.Equal("You said something for 0.25 seconds.", transcript);
        Assert.Equal(transcript, response.Single(e => e.Type() == "response.output_audio_transcript.done").Str("transcript"));

        var created = response[0].GetProperty("response");
        Assert.Equal("in_progress", created.Str("status"));
        Assert.Equal(JsonValueKind.Null, created.GetProperty("usage").ValueKind);
        Assert.Equal(userItemId, response[2].Str("previous_item_id"));
        var done = response.Single(e => e.Type() == "response.done").GetProperty("response");
        Assert.Equal("completed", done.Str("status"));
        Assert.Equal(created.Str("id"), done.Str("id"));
        var output = done.GetProperty("output")[0];
        Assert.Equal("assistant", output.Str("role"));
        Assert.Equal("completed", output.Str("status"));
        Assert.Equal("output_audio", output.GetProperty("content")[0].Str("type"));
        Assert.Equal(transcript, output.GetProperty("content")[0].Str("transcript"));
        var usage = done.GetProperty("usage");
        Assert.Equal(
            usage.GetProperty("total_tokens").GetInt32(),
            usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("output_tokens").GetInt32());
        Assert.True(usage.At("output_token_details.audio_tokens").GetInt32() > 0);
        Assert.True(usage.At("input_token_details.audio_tokens").GetInt32() > 0);
        Assert.Equal(0, usage.At("input_token_details.cached_tokens").GetInt32());
        Assert.Equal(2, response[^1].GetProperty("rate_limits").GetArrayLength());
    }

    [Fact]
    public async Task ItemCreate_InputTextThenResponse_SaysTheTextOverATone()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync(
            """{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hello there"}]}}""",
            cts.Token);
        var added = await client.ReceiveUntilAsync("conversation.item.done", cts.Token);
        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var response = await client.ReceiveUntilAsync("response.done", cts.Token);

        Assert.Equal("hello there", added[0].At("item.content")[0].Str("text"));
        Assert.Equal("You said: hello there", response.Single(e => e.Type() == "response.output_audio_transcript.done").Str("transcript"));
        var audioBytes = response.Where(e => e.Type() == "response.output_audio.delta").Sum(e => Convert.FromBase64String(e.Str("delta")).Length);
        Assert.Equal(48_000, audioBytes);
    }

    [Fact]
    public async Task ResponseCancel_WhileStreaming_EndsCancelledWithClientCancelled()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token, o => o.DeltaInterval = TimeSpan.FromMilliseconds(150));
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync(ManualMode, cts.Token);
        await client.ReceiveEventAsync(cts.Token);
        await client.AppendAsync(Pcm.Noise(3000, seed: 4), cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""", cts.Token);
        await client.ReceiveUntilAsync("conversation.item.done", cts.Token);

        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        await client.ReceiveUntilAsync("response.output_audio.delta", cts.Token);
        await client.SendAsync("""{"type":"response.cancel"}""", cts.Token);
        var rest = await client.ReceiveUntilAsync("rate_limits.updated", cts.Token);

        var types = rest.Select(e => e.Type()).Where(t => !t!.EndsWith(".delta", StringComparison.Ordinal)).ToList();
        Assert.Equal(ResponseEnd, types);
        Assert.True(rest.Count(e => e.Type() == "response.output_audio.delta") < 29, "the deltas stopped early");
        var done = rest.Single(e => e.Type() == "response.done").GetProperty("response");
        Assert.Equal("cancelled", done.Str("status"));
        Assert.Equal("client_cancelled", done.Str("status_details.reason"));
        Assert.Equal("incomplete", rest.Single(e => e.Type() == "response.output_item.done").Str("item.status"));

        await client.SendAsync("""{"type":"response.cancel"}""", cts.Token);
        var notActive = await client.ReceiveEventAsync(cts.Token);
        Assert.Equal("response_cancel_not_active", notActive.Str("error.code"));
    }

    [Fact]
    public async Task ResponseCancel_NothingRunning_ReturnsNotActive()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync("""{"type":"response.cancel","event_id":"evt_c"}""", cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("response_cancel_not_active", error.Str("error.code"));
        Assert.Equal("Cancellation failed: no active response found", error.Str("error.message"));
        Assert.Equal("evt_c", error.Str("error.event_id"));
    }

    [Fact]
    public async Task ResponseCreate_WhileOneIsActive_ReturnsAlreadyActive()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token, o => o.DeltaInterval = TimeSpan.FromMilliseconds(150));
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var created = (await client.ReceiveUntilAsync("response.created", cts.Token))[^1];
        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var events = await client.ReceiveUntilAsync("error", cts.Token);

        Assert.Equal("conversation_already_has_active_response", events[^1].Str("error.code"));
        Assert.Contains(created.Str("response.id"), events[^1].Str("error.message"), StringComparison.Ordinal);
        Assert.DoesNotContain(events, e => e.Type() == "response.done");
    }

    [Fact]
    public async Task Truncate_WithinAndBeyondTheSentAudio_TruncatesOrRejects()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var response = await client.ReceiveUntilAsync("response.done", cts.Token);
        var itemId = response.Single(e => e.Type() == "response.output_item.added").Str("item.id");

        await client.SendAsync($$"""{"type":"conversation.item.truncate","item_id":"{{itemId}}","content_index":0,"audio_end_ms":400}""", cts.Token);
        var truncated = await client.ReceiveUntilAsync("conversation.item.truncated", cts.Token);
        await client.SendAsync($$"""{"type":"conversation.item.truncate","item_id":"{{itemId}}","content_index":0,"audio_end_ms":5000,"event_id":"evt_t"}""", cts.Token);
        var tooLong = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"conversation.item.truncate","item_id":"item_nope","content_index":0,"audio_end_ms":1}""", cts.Token);
        var unknown = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal(itemId, truncated[^1].Str("item_id"));
        Assert.Equal(400, truncated[^1].GetProperty("audio_end_ms").GetInt32());
        Assert.Equal("error", tooLong.Type());
        Assert.Equal("Audio content of 400ms is already shorter than 5000ms", tooLong.Str("error.message"));
        Assert.Equal("evt_t", tooLong.Str("error.event_id"));
        Assert.Equal("error", unknown.Type());
        Assert.Equal("item_id", unknown.Str("error.param"));
    }

    [Fact]
    public async Task ItemRetrieveAndDelete_KnownAndUnknownIds_AnswerOrReject()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        var audio = Pcm.Noise(100, seed: 5);
        await client.SendAsync(
            new { type = "conversation.item.create", item = new { id = "item_mine", type = "message", role = "user", content = new[] { new { type = "input_audio", audio = Convert.ToBase64String(audio) } } } },
            cts.Token);
        await client.ReceiveUntilAsync("conversation.item.done", cts.Token);

        await client.SendAsync("""{"type":"conversation.item.retrieve","item_id":"item_mine"}""", cts.Token);
        var retrieved = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"conversation.item.delete","item_id":"item_mine"}""", cts.Token);
        var deleted = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"conversation.item.retrieve","item_id":"item_mine"}""", cts.Token);
        var gone = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"conversation.item.delete","item_id":"item_mine"}""", cts.Token);
        var goneToo = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("conversation.item.retrieved", retrieved.Type());
        Assert.Equal(audio, Convert.FromBase64String(retrieved.At("item.content")[0].Str("audio")));
        Assert.Equal("conversation.item.deleted", deleted.Type());
        Assert.Equal("item_mine", deleted.Str("item_id"));
        Assert.Equal("error", gone.Type());
        Assert.Equal("error", goneToo.Type());
    }

    [Fact]
    public async Task Commit_WithTranscriptionConfigured_SendsTranscriptionCompleted()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync(
            """{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null,"transcription":{"model":"whisper-1"}}}}}""",
            cts.Token);
        await client.ReceiveEventAsync(cts.Token);

        await client.AppendAsync(Pcm.Noise(1200, seed: 6), cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""", cts.Token);
        var events = await client.ReceiveUntilAsync("conversation.item.input_audio_transcription.completed", cts.Token);

        Assert.Equal(events[0].Str("item_id"), events[^1].Str("item_id"));
        Assert.Equal("(simulated transcript of 1.20 s of audio)", events[^1].Str("transcript"));
    }

    [Fact]
    public async Task BetaDialect_Response_UsesBetaEventNames()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token, "?api-version=2025-04-01-preview&deployment=d");

        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var types = (await client.ReceiveUntilAsync("rate_limits.updated", cts.Token)).Select(e => e.Type()).ToList();

        Assert.Contains("response.audio.delta", types);
        Assert.Contains("response.audio_transcript.delta", types);
        Assert.Contains("conversation.item.created", types);
        Assert.DoesNotContain(types, t => t!.Contains("output_audio", StringComparison.Ordinal) || t == "conversation.item.added" || t == "conversation.item.done");
    }

    [Fact]
    public async Task TextModality_ResponseCreate_StreamsTextWithoutAudio()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}""", cts.Token);
        await client.ReceiveEventAsync(cts.Token);

        await client.SendAsync("""{"type":"response.create"}""", cts.Token);
        var response = await client.ReceiveUntilAsync("response.done", cts.Token);

        var types = response.Select(e => e.Type()).ToList();
        Assert.Contains("response.output_text.delta", types);
        Assert.DoesNotContain(types, t => t!.Contains("audio", StringComparison.Ordinal));
        var text = string.Concat(response.Where(e => e.Type() == "response.output_text.delta").Select(e => e.Str("delta")));
        Assert.Equal(text, response.Single(e => e.Type() == "response.output_text.done").Str("text"));
        Assert.Equal("[\"text\"]", response[^1].At("response.output_modalities").GetRawText());
        Assert.Equal("output_text", response[^1].GetProperty("response").GetProperty("output")[0].GetProperty("content")[0].Str("type"));
    }
}
