using System.Text.Json;
using System.Text.RegularExpressions;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed partial class RealtimeSimulatorSessionTests
{
    [GeneratedRegex("^event_[A-Za-z0-9]{21}$")]
    private static partial Regex EventId();

    [Fact]
    public async Task SessionCreated_OnConnect_CarriesFullDefaultGaSession()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectAsync(cts.Token, "?model=gpt-realtime-mini");

        var created = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("session.created", created.Type());
        Assert.Matches(EventId(), created.Str("event_id"));
        var s = created.GetProperty("session");
        Assert.Equal("realtime", s.Str("type"));
        Assert.Equal("realtime.session", s.Str("object"));
        Assert.StartsWith("sess_", s.Str("id"), StringComparison.Ordinal);
        Assert.Equal("gpt-realtime-mini", s.Str("model"));
        Assert.Equal("[\"audio\"]", s.GetProperty("output_modalities").GetRawText());
        Assert.False(string.IsNullOrEmpty(s.Str("instructions")));
        Assert.Equal(0, s.GetProperty("tools").GetArrayLength());
        Assert.Equal("auto", s.Str("tool_choice"));
        Assert.Equal("inf", s.Str("max_output_tokens"));
        Assert.Equal(JsonValueKind.Null, s.GetProperty("tracing").ValueKind);
        Assert.Equal("auto", s.Str("truncation"));
        Assert.True(s.GetProperty("expires_at").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.Equal("audio/pcm", s.Str("audio.input.format.type"));
        Assert.Equal(24000, s.At("audio.input.format.rate").GetInt32());
        Assert.Equal(JsonValueKind.Null, s.At("audio.input.transcription").ValueKind);
        Assert.Equal(JsonValueKind.Null, s.At("audio.input.noise_reduction").ValueKind);
        var vad = s.At("audio.input.turn_detection");
        Assert.Equal("server_vad", vad.Str("type"));
        Assert.Equal(0.5, vad.GetProperty("threshold").GetDouble());
        Assert.Equal(300, vad.GetProperty("prefix_padding_ms").GetInt32());
        Assert.Equal(500, vad.GetProperty("silence_duration_ms").GetInt32());
        Assert.Equal(JsonValueKind.Null, vad.GetProperty("idle_timeout_ms").ValueKind);
        Assert.True(vad.GetProperty("create_response").GetBoolean());
        Assert.True(vad.GetProperty("interrupt_response").GetBoolean());
        Assert.Equal("audio/pcm", s.Str("audio.output.format.type"));
        Assert.Equal("alloy", s.Str("audio.output.voice"));
        Assert.Equal(1.0, s.At("audio.output.speed").GetDouble());
    }

    [Fact]
    public async Task SessionUpdate_GaFields_MergesAndReturnsWholeSession()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync(
            """
            {"type":"session.update","session":{"type":"realtime","instructions":"Be brief.",
             "audio":{"input":{"turn_detection":null,"transcription":{"model":"gpt-4o-transcribe"}},"output":{"voice":"marin"}}}}
            """,
            cts.Token);
        var updated = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("session.updated", updated.Type());
        var s = updated.GetProperty("session");
        Assert.Equal("Be brief.", s.Str("instructions"));
        Assert.Equal("marin", s.Str("audio.output.voice"));
        Assert.Equal(JsonValueKind.Null, s.At("audio.input.turn_detection").ValueKind);
        Assert.Equal("gpt-4o-transcribe", s.Str("audio.input.transcription.model"));
        // Untouched fields are still there: the whole effective session, not a diff.
        Assert.Equal("audio/pcm", s.Str("audio.input.format.type"));
        Assert.Equal("audio/pcm", s.Str("audio.output.format.type"));
        Assert.Equal(1.0, s.At("audio.output.speed").GetDouble());
        Assert.Equal("auto", s.Str("tool_choice"));
        Assert.Equal("gpt-realtime", s.Str("model"));
        Assert.StartsWith("sess_", s.Str("id"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionUpdate_MissingType_ReturnsMissingRequiredParameter()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        await client.SendAsync("""{"type":"session.update","event_id":"evt_1","session":{"instructions":"x"}}""", cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("error", error.Type());
        Assert.Equal("invalid_request_error", error.Str("error.type"));
        Assert.Equal("missing_required_parameter", error.Str("error.code"));
        Assert.Equal("session.type", error.Str("error.param"));
        Assert.Equal("evt_1", error.Str("error.event_id"));
    }

    [Theory]
    [InlineData("input_audio_format", "\"pcm16\"")]
    [InlineData("turn_detection", "{\"type\":\"server_vad\"}")]
    [InlineData("modalities", "[\"text\",\"audio\"]")]
    [InlineData("voice", "\"alloy\"")]
    [InlineData("temperature", "0.8")]
    public async Task SessionUpdate_BetaKeyOnGa_ReturnsUnknownParameterAndKeepsSession(string key, string value)
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectReadyAsync(cts.Token);

        var json = "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"instructions\":\"changed\",\"" + key + "\":" + value + "}}";
        await client.SendAsync(json, cts.Token);
        var error = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime"}}""", cts.Token);
        var updated = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("unknown_parameter", error.Str("error.code"));
        Assert.Equal($"session.{key}", error.Str("error.param"));
        Assert.Equal($"Unknown parameter: 'session.{key}'.", error.Str("error.message"));
        Assert.Equal("session.updated", updated.Type());
        Assert.NotEqual("changed", updated.Str("session.instructions"));
    }

    [Fact]
    public async Task BetaDialect_FlatSessionUpdate_IsAcceptedAndAnsweredInBetaShape()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectAsync(cts.Token, "?api-version=2025-04-01-preview&deployment=my-realtime");

        var created = await client.ReceiveEventAsync(cts.Token);
        await client.SendAsync(
            """
            {"type":"session.update","session":{"modalities":["text","audio"],"instructions":"Hi","voice":"verse",
             "input_audio_format":"pcm16","output_audio_format":"pcm16","input_audio_transcription":{"model":"whisper-1"},
             "turn_detection":{"type":"server_vad","silence_duration_ms":700},"temperature":0.7,"max_response_output_tokens":"inf"}}
            """,
            cts.Token);
        var updated = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("my-realtime", created.Str("session.model"));
        Assert.Equal("pcm16", created.Str("session.input_audio_format"));
        Assert.False(created.GetProperty("session").TryGetProperty("audio", out _));
        Assert.Equal("session.updated", updated.Type());
        var s = updated.GetProperty("session");
        Assert.Equal("verse", s.Str("voice"));
        Assert.Equal("whisper-1", s.Str("input_audio_transcription.model"));
        Assert.Equal(700, s.At("turn_detection.silence_duration_ms").GetInt32());
        Assert.Equal(0.5, s.At("turn_detection.threshold").GetDouble());
        Assert.Equal(0.7, s.GetProperty("temperature").GetDouble());
    }
}
