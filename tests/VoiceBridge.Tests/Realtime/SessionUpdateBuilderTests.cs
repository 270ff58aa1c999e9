using System.Text;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public class SessionUpdateBuilderTests
{
    private static JsonDocument Build(RealtimeSessionOptions options, SessionShape shape) =>
        JsonDocument.Parse(SessionUpdateBuilder.Build(options, shape));

    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public void Build_GaDefaults_ExactBytes()
    {
        var bytes = SessionUpdateBuilder.Build(new RealtimeSessionOptions { Instructions = "Be brief." }, SessionShape.GA);

        Assert.Equal(
            "{\"type\":\"session.update\",\"event_id\":\"event_voicebridge_session\",\"session\":{\"type\":\"realtime\","
            + "\"output_modalities\":[\"audio\"],\"instructions\":\"Be brief.\",\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},"
            + "\"turn_detection\":{\"type\":\"server_vad\"}},\"output\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},\"voice\":\"alloy\"}}}}",
            Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public void Build_BetaDefaults_ExactBytes()
    {
        var bytes = SessionUpdateBuilder.Build(new RealtimeSessionOptions { Instructions = "Be brief." }, SessionShape.Beta);

        Assert.Equal(
            "{\"type\":\"session.update\",\"event_id\":\"event_voicebridge_session\",\"session\":{\"modalities\":[\"text\",\"audio\"],"
            + "\"instructions\":\"Be brief.\",\"voice\":\"alloy\",\"input_audio_format\":\"pcm16\",\"output_audio_format\":\"pcm16\","
            + "\"turn_detection\":{\"type\":\"server_vad\"}}}",
            Encoding.UTF8.GetString(bytes));
    }

    [Theory]
    [InlineData("server_vad", "server_vad")]
    [InlineData("semantic_vad", "semantic_vad")]
    [InlineData("Server_VAD", "server_vad")]
    [InlineData("none", null)]
    [InlineData("NONE", null)]
    public void Build_Ga_TurnDetection(string configured, string? expectedType)
    {
        using var doc = Build(new RealtimeSessionOptions { TurnDetection = configured }, SessionShape.GA);
        var session = doc.RootElement.GetProperty("session");
        var turn = session.GetProperty("audio").GetProperty("input").GetProperty("turn_detection");
        AssertTurnDetection(expectedType, turn);
        Assert.False(session.TryGetProperty("turn_detection", out _));
    }

    [Theory]
    [InlineData("server_vad", "server_vad")]
    [InlineData("semantic_vad", "semantic_vad")]
    [InlineData("none", null)]
    public void Build_Beta_TurnDetection(string configured, string? expectedType)
    {
        using var doc = Build(new RealtimeSessionOptions { TurnDetection = configured }, SessionShape.Beta);
        AssertTurnDetection(expectedType, doc.RootElement.GetProperty("session").GetProperty("turn_detection"));
    }

    private static void AssertTurnDetection(string? expectedType, JsonElement turn)
    {
        if (expectedType is null)
        {
            Assert.Equal(JsonValueKind.Null, turn.ValueKind);
        }
        else
        {
            Assert.Equal(["type"], Names(turn));
            Assert.Equal(expectedType, turn.GetProperty("type").GetString());
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("auto")]
    [InlineData("vad")]
    public void Build_UnknownTurnDetection_Throws(string configured)
    {
        Assert.Throws<ArgumentException>(() => SessionUpdateBuilder.Build(new RealtimeSessionOptions { TurnDetection = configured }, SessionShape.GA));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public void Build_EmptyVoice_Throws(string voice)
    {
        Assert.Throws<ArgumentException>(() => SessionUpdateBuilder.Build(new RealtimeSessionOptions { Voice = voice }, SessionShape.GA));
    }

    [Fact]
    public void Build_UnknownShape_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SessionUpdateBuilder.Build(new RealtimeSessionOptions(), (SessionShape)42));
    }

    [Fact]
    public void Build_Ga_TranscriptionOn_UnderAudioInput()
    {
        using var doc = Build(new RealtimeSessionOptions { TranscriptionModel = "gpt-4o-transcribe" }, SessionShape.GA);
        var input = doc.RootElement.GetProperty("session").GetProperty("audio").GetProperty("input");
        Assert.Equal(["format", "turn_detection", "transcription"], Names(input));
        Assert.Equal("gpt-4o-transcribe", input.GetProperty("transcription").GetProperty("model").GetString());
        Assert.Equal(["model"], Names(input.GetProperty("transcription")));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Build_Ga_TranscriptionOff_Absent(string? model)
    {
        using var doc = Build(new RealtimeSessionOptions { TranscriptionModel = model }, SessionShape.GA);
        var input = doc.RootElement.GetProperty("session").GetProperty("audio").GetProperty("input");
        Assert.False(input.TryGetProperty("transcription", out _));
    }

    [Fact]
    public void Build_Beta_TranscriptionOn_Flat()
    {
        using var doc = Build(new RealtimeSessionOptions { TranscriptionModel = "whisper-1" }, SessionShape.Beta);
        var session = doc.RootElement.GetProperty("session");
        Assert.Equal("whisper-1", session.GetProperty("input_audio_transcription").GetProperty("model").GetString());
        Assert.False(session.TryGetProperty("audio", out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Build_Beta_TranscriptionOff_Absent(string? model)
    {
        using var doc = Build(new RealtimeSessionOptions { TranscriptionModel = model }, SessionShape.Beta);
        Assert.False(doc.RootElement.GetProperty("session").TryGetProperty("input_audio_transcription", out _));
    }

    [Fact]
    public void Build_Ga_HasNoBetaFields_AndBetaHasNoGaFields()
    {
        using var ga = Build(new RealtimeSessionOptions { TranscriptionModel = "m" }, SessionShape.GA);
        using var beta = Build(new RealtimeSessionOptions { TranscriptionModel = "m" }, SessionShape.Beta);

        Assert.Equal(["type", "output_modalities", "instructions", "audio"], Names(ga.RootElement.GetProperty("session")));
        Assert.Equal(
            ["modalities", "instructions", "voice", "input_audio_format", "output_audio_format", "turn_detection", "input_audio_transcription"],
            Names(beta.RootElement.GetProperty("session")));
        Assert.Equal(["type", "event_id", "session"], Names(ga.RootElement));
        Assert.Equal(["type", "event_id", "session"], Names(beta.RootElement));
    }

    [Theory]
    [InlineData("GA")]
    [InlineData("Beta")]
    public void Build_VoiceFromOptions(string shapeName)
    {
        var shape = Enum.Parse<SessionShape>(shapeName);
        using var doc = Build(new RealtimeSessionOptions { Voice = "marin" }, shape);
        var session = doc.RootElement.GetProperty("session");
        var voice = shape == SessionShape.GA
            ? session.GetProperty("audio").GetProperty("output").GetProperty("voice")
            : session.GetProperty("voice");
        Assert.Equal("marin", voice.GetString());
    }

    [Theory]
    [InlineData("GA")]
    [InlineData("Beta")]
    public void Build_InstructionsWithQuotesNewlinesEmoji_RoundTripReadably(string shapeName)
    {
        var shape = Enum.Parse<SessionShape>(shapeName);
        const string instructions = "Say \"hello\".\nThen: café, naïve, 日本語, 🎤 <b>&</b> \\ done\t.";
        var bytes = SessionUpdateBuilder.Build(new RealtimeSessionOptions { Instructions = instructions }, shape);

        using var doc = JsonDocument.Parse(bytes);
        Assert.Equal(instructions, doc.RootElement.GetProperty("session").GetProperty("instructions").GetString());

        // Non-ASCII text and HTML-sensitive characters stay readable; quotes, backslashes and
        // control characters are escaped as JSON requires. Every built-in encoder, the relaxed one
        // included, writes characters outside the BMP (emoji) as a \uD83C\uDFA4 surrogate pair:
        // still valid JSON that decodes to the same text (asserted above).
        var text = Encoding.UTF8.GetString(bytes);
        Assert.Contains("café, naïve, 日本語, \\uD83C\\uDFA4 <b>&</b> \\\\ done\\t.", text);
        Assert.Contains("Say \\\"hello\\\".\\nThen", text);
        Assert.DoesNotContain("\\u00", text);
    }

    [Fact]
    public void Build_DefaultInstructions_Present()
    {
        using var doc = Build(new RealtimeSessionOptions(), SessionShape.GA);
        Assert.Equal(RealtimeSessionOptions.DefaultInstructions, doc.RootElement.GetProperty("session").GetProperty("instructions").GetString());
    }

    [Fact]
    public void Build_EmptyInstructions_SentAsEmptyString()
    {
        using var doc = Build(new RealtimeSessionOptions { Instructions = "" }, SessionShape.GA);
        Assert.Equal("", doc.RootElement.GetProperty("session").GetProperty("instructions").GetString());
    }

    [Theory]
    [InlineData("GA")]
    [InlineData("Beta")]
    public void Build_IsAValidClientEventOfTypeSessionUpdate(string shapeName)
    {
        var shape = Enum.Parse<SessionShape>(shapeName);
        var bytes = SessionUpdateBuilder.Build(new RealtimeSessionOptions(), shape);
        Assert.True(RealtimeCodec.IsValidClientEvent(bytes));
        Assert.True(RealtimeCodec.TryReadType(bytes, out var type));
        Assert.True(type.SequenceEqual("session.update"u8));
    }
}
