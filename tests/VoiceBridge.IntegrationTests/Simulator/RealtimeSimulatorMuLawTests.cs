using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Simulator;

/// <summary>The simulator speaks <c>audio/pcmu</c> (a phone call's format): its VAD hears µ-law and its echo is µ-law.</summary>
public sealed class RealtimeSimulatorMuLawTests
{
    [Fact]
    public async Task ServerVad_MuLawSession_HearsTheToneAndEchoesItInMuLaw()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcmu"}},"output":{"format":{"type":"audio/pcmu"}}}}}""", cts.Token);
        var updated = (await client.ReceiveUntilAsync("session.updated", cts.Token))[^1];
        Assert.Equal("audio/pcmu", updated.Str("session.audio.output.format.type"));

        var muLaw = MuLaw.FromPcm24k(Pcm.Silence(400).Concat(Pcm.Tone(600)).Concat(Pcm.Silence(700)).ToArray());
        Assert.Equal(1700 * 8, muLaw.Length);
        foreach (var chunk in muLaw.Chunk(160))
        {
            await client.AppendAsync(chunk, cts.Token);
        }

        var events = await client.ReceiveUntilAsync("response.done", cts.Token);

        var started = events.First(e => e.Type() == "input_audio_buffer.speech_started");
        Assert.Equal(100, started.GetProperty("audio_start_ms").GetInt32());
        Assert.Equal(1500, events.First(e => e.Type() == "input_audio_buffer.speech_stopped").GetProperty("audio_end_ms").GetInt32());
        var echoed = events.Where(e => e.Type() == "response.output_audio.delta").SelectMany(e => Convert.FromBase64String(e.Str("delta"))).ToArray();

        // 8 bytes a millisecond: the caller's own µ-law from 100 ms to 1500 ms (compared as samples: µ-law has two zeros).
        Assert.Equal(muLaw[(100 * 8)..(1500 * 8)].Select(MuLaw.Decode), echoed.Select(MuLaw.Decode));
    }
}
