namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class RealtimeSimulatorVadTests
{
    [Fact]
    public async Task ServerVad_ToneThenSilence_CommitsTurnAndRespondsWithTheSpeech()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        var stream = Pcm.Silence(400).Concat(Pcm.Tone(600)).Concat(Pcm.Silence(700)).ToArray();

        foreach (var chunk in stream.Chunk(4800))
        {
            await client.AppendAsync(chunk, cts.Token);
        }

        var events = await client.ReceiveUntilAsync("response.done", cts.Token);

        var types = events.Select(e => e.Type()).ToList();
        Assert.Equal(
            ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
             "conversation.item.added", "conversation.item.done", "response.created"],
            types.Take(6));
        var itemId = events[0].Str("item_id");
        Assert.Equal(100, events[0].GetProperty("audio_start_ms").GetInt32()); // 400 ms minus 300 ms prefix padding
        Assert.Equal(1500, events[1].GetProperty("audio_end_ms").GetInt32()); // tone end plus 500 ms of silence
        Assert.Equal(itemId, events[1].Str("item_id"));
        Assert.Equal(itemId, events[2].Str("item_id"));
        Assert.Equal(itemId, events[3].Str("item.id"));
        Assert.Equal("completed", events[^1].Str("response.status"));
        var echoed = events.Where(e => e.Type() == "response.output_audio.delta").SelectMany(e => Convert.FromBase64String(e.Str("delta"))).ToArray();
        Assert.Equal(stream[(100 * 48)..(1500 * 48)], echoed);
    }

    [Fact]
    public async Task ServerVad_SpeechDuringResponse_CancelsItWithTurnDetected()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token, o => o.DeltaInterval = TimeSpan.FromMilliseconds(100));
        await using var client = await host.ConnectReadyAsync(cts.Token);
        foreach (var chunk in Pcm.Tone(600).Concat(Pcm.Silence(600)).Chunk(4800))
        {
            await client.AppendAsync(chunk, cts.Token);
        }

        var firstTurn = await client.ReceiveUntilAsync("response.output_audio.delta", cts.Token);
        await client.AppendAsync(Pcm.Tone(200), cts.Token);
        var bargeIn = await client.ReceiveUntilAsync("response.done", cts.Token);

        var responseId = firstTurn.Single(e => e.Type() == "response.created").Str("response.id");
        var types = bargeIn.Select(e => e.Type()).ToList();
        var started = types.IndexOf("input_audio_buffer.speech_started");
        Assert.True(started >= 0 && started < types.IndexOf("response.output_audio.done"), "speech_started comes before the response winds down");
        var done = bargeIn[^1].GetProperty("response");
        Assert.Equal(responseId, done.Str("id"));
        Assert.Equal("cancelled", done.Str("status"));
        Assert.Equal("turn_detected", done.Str("status_details.reason"));
        Assert.Equal("incomplete", done.GetProperty("output")[0].Str("status"));
    }

    [Fact]
    public async Task ServerVad_CreateResponseOff_CommitsWithoutResponding()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync(
            """{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":200,"create_response":false}}}}}""",
            cts.Token);
        await client.ReceiveEventAsync(cts.Token);

        foreach (var chunk in Pcm.Tone(300).Concat(Pcm.Silence(300)).Chunk(4800))
        {
            await client.AppendAsync(chunk, cts.Token);
        }

        var turn = await client.ReceiveUntilAsync("conversation.item.done", cts.Token);
        await client.SendAsync("""{"type":"input_audio_buffer.clear"}""", cts.Token);
        var next = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal(500, turn[1].GetProperty("audio_end_ms").GetInt32());
        Assert.Equal("input_audio_buffer.cleared", next.Type());
    }
}
