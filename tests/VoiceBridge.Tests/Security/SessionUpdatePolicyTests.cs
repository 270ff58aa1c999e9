using System.Buffers;
using System.Text;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public class SessionUpdatePolicyTests
{
    private static readonly SessionUpdatePolicy Ga = new(RealtimeSessionOptions.DefaultClientMayUpdate, SessionShape.GA);

    private static readonly SessionUpdatePolicy Beta = new(RealtimeSessionOptions.DefaultClientMayUpdate, SessionShape.Beta);

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static (SessionUpdateOutcome Outcome, string Rewritten, IReadOnlyList<string> Removed) Apply(SessionUpdatePolicy policy, string json)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var outcome = policy.Apply(Utf8(json), buffer, out var removed);
        return (outcome, Encoding.UTF8.GetString(buffer.WrittenSpan), removed);
    }

    private static string Update(string session) => "{\"type\":\"session.update\",\"session\":" + session + "}";

    // ---------------------------------------------------------------- unchanged

    public static TheoryData<string> UnchangedUnderDefaults => new()
    {
        Update("{\"type\":\"realtime\",\"audio\":{\"output\":{\"voice\":\"marin\"}}}"),
        Update("{\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"semantic_vad\",\"eagerness\":\"low\"}},\"output\":{\"voice\":\"cedar\",\"speed\":1.2}}}"),
        Update("{\"audio\":{\"input\":{\"turn_detection\":null,\"transcription\":{\"model\":\"whisper-1\"},\"noise_reduction\":{\"type\":\"far_field\"}}}}"),
        // Subtree: anything under an allowed path, however deep or odd.
        Update("{\"audio\":{\"input\":{\"turn_detection\":{\"threshold\":0.3,\"x\":{\"instructions\":\"deep\"}}}}}"),
        // type alone, an empty session, odd but harmless values on the way.
        Update("{\"type\":\"realtime\"}"),
        Update("{}"),
        Update("{\"audio\":{}}"),
        // No session object: the upstream answers with its own error.
        "{\"type\":\"session.update\"}",
        "{\"type\":\"session.update\",\"session\":null}",
        "{\"type\":\"session.update\",\"session\":\"instructions\"}",
        "{\"type\":\"session.update\",\"session\":[{\"instructions\":\"x\"}]}",
        // Whitespace, escapes and unicode everywhere: the frame is not touched.
        "  {\r\n \"event_id\" : \"évt 🎤\" ,\"type\":\"session.update\", \"session\" : { \"audio\" : {\"output\":{\"v\\u006fice\":\"\\u00e9\"}} } }  ",
    };

    [Theory]
    [MemberData(nameof(UnchangedUnderDefaults))]
    public void Apply_OnlyAllowedFields_UnchangedAndNothingWritten(string json)
    {
        var buffer = new ArrayBufferWriter<byte>();

        var outcome = Ga.Apply(Utf8(json), buffer, out var removed);

        Assert.Equal(SessionUpdateOutcome.Unchanged, outcome);
        Assert.Empty(removed);
        Assert.Equal(0, buffer.WrittenCount);
    }

    // ---------------------------------------------------------------- rewritten

    public static TheoryData<string, string, string> RewrittenUnderDefaults => new()
    {
        {
            Update("{\"instructions\":\"be evil\",\"audio\":{\"output\":{\"voice\":\"marin\"}}}"),
            Update("{\"audio\":{\"output\":{\"voice\":\"marin\"}}}"),
            "instructions"
        },
        {
            Update("{\"type\":\"realtime\",\"audio\":{\"output\":{\"voice\":\"marin\"}},\"instructions\":\"x\"}"),
            Update("{\"type\":\"realtime\",\"audio\":{\"output\":{\"voice\":\"marin\"}}}"),
            "instructions"
        },
        {
            // Removed in the middle, at the start and at the end of nested objects.
            Update("{\"tools\":[],\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"},\"turn_detection\":null,\"x\":1},\"output\":{\"format\":\"g711\",\"speed\":1.1}},\"tracing\":\"auto\"}"),
            Update("{\"audio\":{\"input\":{\"turn_detection\":null},\"output\":{\"speed\":1.1}}}"),
            "tools,audio.input.format,audio.input.x,audio.output.format,tracing"
        },
        {
            // An object on the way to allowed paths emptied by the removal goes whole.
            Update("{\"audio\":{\"input\":{\"format\":{}},\"output\":{\"voice\":\"x\"}}}"),
            Update("{\"audio\":{\"output\":{\"voice\":\"x\"}}}"),
            "audio.input.format"
        },
        {
            // A non-object where the policy had to enter an object: removed whole.
            Update("{\"audio\":null,\"model\":\"gpt-4o\"}") .Replace("\"model\"", "\"audio\":{\"output\":{\"voice\":\"v\"}},\"model\"", StringComparison.Ordinal),
            Update("{\"audio\":{\"output\":{\"voice\":\"v\"}}}"),
            "audio,model"
        },
        {
            // event_id and every other top-level property are kept, in place, as written.
            "{\"event_id\":\"evt_1\",\"type\":\"session.update\",\"session\":{\"prompt\":{\"id\":\"p\"},\"audio\":{\"output\":{\"voice\":\"v\"}}},\"x-extra\":[1, 2 ,{\"a\":\"\\u00e9\"}]}",
            "{\"event_id\":\"evt_1\",\"type\":\"session.update\",\"session\":{\"audio\":{\"output\":{\"voice\":\"v\"}}},\"x-extra\":[1, 2 ,{\"a\":\"\\u00e9\"}]}",
            "prompt"
        },
        {
            // Unicode and escapes inside kept values are copied byte for byte.
            Update("{\"instructions\":\"\\u0000\",\"audio\":{\"output\":{\"voice\":\"\\u00e9t\\u00e9 \\\"q\\\" 🎤 é\",\"speed\":1.0e0}}}"),
            Update("{\"audio\":{\"output\":{\"voice\":\"\\u00e9t\\u00e9 \\\"q\\\" 🎤 é\",\"speed\":1.0e0}}}"),
            "instructions"
        },
        {
            // Escaped names are read decoded: this is "instructions", and "voice" is kept as written.
            Update("{\"instr\\u0075ctions\":\"x\",\"audio\":{\"output\":{\"v\\u006fice\":\"a\"}}}"),
            Update("{\"audio\":{\"output\":{\"v\\u006fice\":\"a\"}}}"),
            "instructions"
        },
        {
            // Duplicates are judged one by one and reported once.
            Update("{\"instructions\":\"a\",\"audio\":{\"output\":{\"voice\":\"a\",\"voice\":\"b\"}},\"instructions\":\"b\"}"),
            Update("{\"audio\":{\"output\":{\"voice\":\"a\",\"voice\":\"b\"}}}"),
            "instructions"
        },
        {
            // Names are case-sensitive: "Instructions" is not allowed either.
            Update("{\"Instructions\":\"a\",\"audio\":{\"Output\":{\"voice\":\"a\"},\"output\":{\"voice\":\"b\"}}}"),
            Update("{\"audio\":{\"output\":{\"voice\":\"b\"}}}"),
            "Instructions,audio.Output"
        },
        {
            // Every top-level session property is judged, a duplicated session too.
            "{\"type\":\"session.update\",\"session\":{\"instructions\":\"a\"},\"session\":{\"audio\":{\"output\":{\"voice\":\"b\"}}}}",
            "{\"type\":\"session.update\",\"session\":{},\"session\":{\"audio\":{\"output\":{\"voice\":\"b\"}}}}",
            "instructions"
        },
        {
            // Pretty-printed input: separators of entered objects are rewritten, the rest is kept.
            "{\n  \"type\": \"session.update\",\n  \"session\": {\n    \"instructions\": \"x\",\n    \"audio\": { \"output\": { \"voice\": \"marin\" } }\n  }\n}",
            "{\"type\": \"session.update\",\"session\": {\"audio\": {\"output\": {\"voice\": \"marin\"}}}}",
            "instructions"
        },
    };

    [Theory]
    [MemberData(nameof(RewrittenUnderDefaults))]
    public void Apply_SomeFieldsLocked_RewrittenWithoutThem(string json, string expected, string removed)
    {
        var result = Apply(Ga, json);

        Assert.Equal(SessionUpdateOutcome.Rewritten, result.Outcome);
        Assert.Equal(expected, result.Rewritten);
        Assert.Equal(removed.Split(','), result.Removed);
        using var _ = JsonDocument.Parse(result.Rewritten);
        Assert.Equal(SessionUpdateOutcome.Unchanged, Apply(Ga, result.Rewritten).Outcome);
    }

    // ---------------------------------------------------------------- nothing left

    public static TheoryData<string, string> NothingLeftUnderDefaults => new()
    {
        { Update("{\"instructions\":\"x\"}"), "instructions" },
        { Update("{\"instructions\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\"}]}"), "instructions,tools" },
        { Update("{\"type\":\"realtime\",\"instructions\":\"x\",\"tool_choice\":\"required\",\"model\":\"m\",\"max_output_tokens\":1}"), "instructions,tool_choice,model,max_output_tokens" },
        { Update("{\"type\":\"realtime\",\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"}}}}"), "audio.input.format" },
        { Update("{\"audio\":{\"input\":{\"format\":{}},\"output\":{\"format\":{}}}}"), "audio.input.format,audio.output.format" },
        // Empty objects on the way are no leaf either.
        { Update("{\"audio\":{\"input\":{},\"output\":{}},\"prompt\":null}"), "prompt" },
    };

    [Theory]
    [MemberData(nameof(NothingLeftUnderDefaults))]
    public void Apply_NoLeafLeftButType_NothingLeft(string json, string removed)
    {
        var result = Apply(Ga, json);

        Assert.Equal(SessionUpdateOutcome.NothingLeft, result.Outcome);
        Assert.Equal(string.Empty, result.Rewritten);
        Assert.Equal(removed.Split(','), result.Removed);
    }

    // ---------------------------------------------------------------- configured paths

    [Fact]
    public void Apply_ParentAllowed_CoversSubtree()
    {
        var policy = new SessionUpdatePolicy(["audio.input"], SessionShape.GA);

        var result = Apply(policy, Update("{\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"},\"anything\":[1]},\"output\":{\"voice\":\"v\"}}}"));

        Assert.Equal(SessionUpdateOutcome.Rewritten, result.Outcome);
        Assert.Equal(Update("{\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"},\"anything\":[1]}}}"), result.Rewritten);
        Assert.Equal(["audio.output"], result.Removed);
    }

    [Fact]
    public void Apply_ChildOfLockedLeafAllowed_OnlyThatChildPasses()
    {
        var policy = new SessionUpdatePolicy(["audio.input.turn_detection.threshold", " instructions "], SessionShape.GA);

        var result = Apply(policy, Update("{\"instructions\":\"i\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":0.2}}}}"));

        Assert.Equal(SessionUpdateOutcome.Rewritten, result.Outcome);
        Assert.Equal(Update("{\"instructions\":\"i\",\"audio\":{\"input\":{\"turn_detection\":{\"threshold\":0.2}}}}"), result.Rewritten);
        Assert.Equal(["audio.input.turn_detection.type"], result.Removed);
    }

    [Fact]
    public void Apply_TypeListedOrNot_AlwaysPassesAndIsNoLeaf()
    {
        var none = new SessionUpdatePolicy([], SessionShape.GA);

        Assert.Equal(SessionUpdateOutcome.Unchanged, Apply(none, Update("{\"type\":\"transcription\"}")).Outcome);
        var result = Apply(none, Update("{\"type\":\"realtime\",\"instructions\":\"x\"}"));
        Assert.Equal(SessionUpdateOutcome.NothingLeft, result.Outcome);
        Assert.Equal(["instructions"], result.Removed);
    }

    [Fact]
    public void Apply_NestedTypeUnderLockedObject_Removed()
    {
        // Only session.type is free; audio.input.format.type is part of a locked field.
        var result = Apply(Ga, Update("{\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcm\"}},\"output\":{\"voice\":\"v\"}}}"));

        Assert.Equal(["audio.input.format"], result.Removed);
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a. b")]
    public void Constructor_MalformedPath_Throws(string path)
    {
        Assert.Throws<ArgumentException>(() => new SessionUpdatePolicy([path], SessionShape.GA));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"session\":{\"instructions\":\"x\"}}")]
    [InlineData("{\"type\":\"session.update\",\"session\":{\"instructions\":\"x\"}")]
    [InlineData("{\"type\":\"session.update\",\"session\":{\"instructions\":\"x\"}} trailing")]
    [InlineData("{\"type\":\"session.update\",\"type\":\"session.update\",\"session\":{\"instructions\":\"x\"}}")]
    public void Apply_InvalidEvent_InvalidAndNothingWritten(string json)
    {
        var result = Apply(Ga, json);

        Assert.Equal(SessionUpdateOutcome.Invalid, result.Outcome);
        Assert.Equal(string.Empty, result.Rewritten);
        Assert.Empty(result.Removed);
    }

    [Fact]
    public void Apply_UndecodableName_RemovedAsReplacementCharacter()
    {
        var result = Apply(Ga, Update("{\"\\ud800\":1,\"audio\":{\"output\":{\"voice\":\"v\",\"\\udc00x\":2}}}"));

        Assert.Equal(SessionUpdateOutcome.Rewritten, result.Outcome);
        Assert.Equal(Update("{\"audio\":{\"output\":{\"voice\":\"v\"}}}"), result.Rewritten);
        Assert.Equal(["\uFFFD", "audio.output.\uFFFD"], result.Removed);
    }

    [Fact]
    public void Apply_RewrittenIsAppendedToTheWriter()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix"u8);

        var outcome = Ga.Apply(Utf8(Update("{\"instructions\":\"x\",\"audio\":{\"output\":{\"voice\":\"v\"}}}")), buffer, out _);

        Assert.Equal(SessionUpdateOutcome.Rewritten, outcome);
        Assert.StartsWith("prefix{\"type\"", Encoding.UTF8.GetString(buffer.WrittenSpan), StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------- beta shape

    public static TheoryData<string, string, string, string> BetaCases => new()
    {
        {
            Update("{\"voice\":\"alloy\",\"speed\":1.1,\"turn_detection\":{\"type\":\"server_vad\"},\"input_audio_transcription\":{\"model\":\"whisper-1\"},\"input_audio_noise_reduction\":null}"),
            nameof(SessionUpdateOutcome.Unchanged), "", ""
        },
        {
            Update("{\"modalities\":[\"text\"],\"instructions\":\"x\",\"voice\":\"alloy\",\"temperature\":0.9,\"input_audio_format\":\"g711_ulaw\",\"output_audio_format\":\"pcm16\",\"max_response_output_tokens\":5,\"tools\":[]}"),
            nameof(SessionUpdateOutcome.Rewritten),
            Update("{\"voice\":\"alloy\"}"),
            "modalities,instructions,temperature,input_audio_format,output_audio_format,max_response_output_tokens,tools"
        },
        {
            // GA names in a beta session are judged by their GA path too.
            Update("{\"instructions\":\"x\",\"audio\":{\"output\":{\"voice\":\"v\",\"format\":\"pcm16\"}}}"),
            nameof(SessionUpdateOutcome.Rewritten),
            Update("{\"audio\":{\"output\":{\"voice\":\"v\"}}}"),
            "instructions,audio.output.format"
        },
        {
            Update("{\"instructions\":\"x\",\"tool_choice\":\"auto\"}"),
            nameof(SessionUpdateOutcome.NothingLeft), "", "instructions,tool_choice"
        },
        {
            // Escaped beta names decode to the same names.
            Update("{\"v\\u006fice\":\"alloy\",\"m\\u006fdalities\":[\"text\"]}"),
            nameof(SessionUpdateOutcome.Rewritten), Update("{\"v\\u006fice\":\"alloy\"}"), "modalities"
        },
    };

    [Theory]
    [MemberData(nameof(BetaCases))]
    public void Apply_BetaShape_BetaNamesMappedOntoGaPaths(string json, string outcome, string expected, string removed)
    {
        var result = Apply(Beta, json);

        Assert.Equal(Enum.Parse<SessionUpdateOutcome>(outcome), result.Outcome);
        Assert.Equal(expected, result.Rewritten);
        Assert.Equal(removed.Length == 0 ? [] : removed.Split(','), result.Removed);
    }

    [Fact]
    public void Apply_BetaShape_NestedAllowedPathThroughBetaName()
    {
        var policy = new SessionUpdatePolicy(["audio.input.turn_detection.threshold", "output_modalities"], SessionShape.Beta);

        var result = Apply(policy, Update("{\"modalities\":[\"text\"],\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":0.2},\"voice\":\"v\"}"));

        Assert.Equal(SessionUpdateOutcome.Rewritten, result.Outcome);
        Assert.Equal(Update("{\"modalities\":[\"text\"],\"turn_detection\":{\"threshold\":0.2}}"), result.Rewritten);
        Assert.Equal(["turn_detection.type", "voice"], result.Removed);
    }

    [Fact]
    public void Apply_BetaShape_AncestorAllowedCoversMappedName()
    {
        var policy = new SessionUpdatePolicy(["audio"], SessionShape.Beta);

        var result = Apply(policy, Update("{\"voice\":\"v\",\"input_audio_format\":\"pcm16\",\"instructions\":\"x\"}"));

        Assert.Equal(Update("{\"voice\":\"v\",\"input_audio_format\":\"pcm16\"}"), result.Rewritten);
        Assert.Equal(["instructions"], result.Removed);
    }

    [Fact]
    public void Apply_GaShape_BetaNamesAreNotGaPaths()
    {
        var result = Apply(Ga, Update("{\"voice\":\"alloy\",\"turn_detection\":null}"));

        Assert.Equal(SessionUpdateOutcome.NothingLeft, result.Outcome);
        Assert.Equal(["voice", "turn_detection"], result.Removed);
    }

    // ---------------------------------------------------------------- token claims

    private static readonly SessionUpdatePolicy TokenGa = new(RealtimeSessionOptions.DefaultTokenMayUpdate, SessionShape.GA);

    private static readonly SessionUpdatePolicy TokenBeta = new(RealtimeSessionOptions.DefaultTokenMayUpdate, SessionShape.Beta);

    private static JsonElement Claim(string json) => JsonDocument.Parse(json).RootElement;

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"type\":\"realtime\"}")]
    [InlineData("{\"instructions\":\"You sell shoes.\",\"tools\":[{\"type\":\"function\",\"name\":\"f\"}],\"tool_choice\":\"auto\"}")]
    [InlineData("{\"audio\":{\"output\":{\"voice\":\"marin\"},\"input\":{\"turn_detection\":{\"type\":\"semantic_vad\"},\"transcription\":null}}}")]
    [InlineData("{\"instr\\u0075ctions\":\"x\"}")]
    public void FindDisallowed_ClaimWithinTokenMayUpdate_Empty(string claim)
    {
        Assert.Empty(TokenGa.FindDisallowed(Claim(claim)));
        Assert.Empty(TokenBeta.FindDisallowed(Claim(claim)));
    }

    [Theory]
    [InlineData("{\"model\":\"gpt-4o\"}", "model")]
    [InlineData("{\"instructions\":\"x\",\"tracing\":\"auto\",\"max_output_tokens\":5}", "tracing,max_output_tokens")]
    [InlineData("{\"audio\":{\"output\":{\"voice\":\"v\",\"speed\":2},\"input\":{\"format\":{\"type\":\"audio/pcmu\"}}}}", "audio.output.speed,audio.input.format")]
    [InlineData("{\"audio\":null}", "audio")]
    [InlineData("{\"audio\":{\"output\":\"v\"}}", "audio.output")]
    [InlineData("{\"voice\":\"alloy\"}", "voice")]
    [InlineData("{\"Instructions\":\"x\"}", "Instructions")]
    [InlineData("{\"\\ud800\":\"x\"}", "\uFFFD")]
    public void FindDisallowed_ClaimOutsideTokenMayUpdate_ListsGaPaths(string claim, string expected)
    {
        Assert.Equal(expected.Split(','), TokenGa.FindDisallowed(Claim(claim)));
        Assert.Equal(expected.Split(','), TokenBeta.FindDisallowed(Claim(claim)));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"instructions\"")]
    [InlineData("[]")]
    public void FindDisallowed_ClaimNotAnObject_Session(string claim)
    {
        Assert.Equal(["session"], TokenGa.FindDisallowed(Claim(claim)));
    }

    [Fact]
    public void FindDisallowed_BetaShape_AllowedButNoBetaSpelling_Refused()
    {
        var ga = new SessionUpdatePolicy(["audio", "instructions"], SessionShape.GA);
        var beta = new SessionUpdatePolicy(["audio", "instructions"], SessionShape.Beta);
        var claim = Claim("{\"audio\":{\"input\":{\"turn_detection\":null,\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},\"future_field\":1},\"output\":{\"voice\":\"v\"},\"other\":{}},\"instructions\":\"i\"}");

        Assert.Empty(ga.FindDisallowed(claim));
        Assert.Equal(["audio.input.future_field", "audio.other"], beta.FindDisallowed(claim));
        Assert.Equal(["audio"], beta.FindDisallowed(Claim("{\"audio\":\"pcm16\"}")));
    }

    [Fact]
    public void BuildTokenSessionUpdate_GaWithoutType_AddsRealtimeFirst()
    {
        var frame = TokenGa.BuildTokenSessionUpdate(Claim("{\"instructions\":\"Été \\\"q\\\" <b>\",\"audio\":{\"output\":{\"voice\":\"marin\"}}}"));

        Assert.Equal(
            "{\"type\":\"session.update\",\"event_id\":\"event_voicebridge_token_session\",\"session\":{\"type\":\"realtime\",\"instructions\":\"Été \\\"q\\\" <b>\",\"audio\":{\"output\":{\"voice\":\"marin\"}}}}",
            Encoding.UTF8.GetString(frame));
    }

    [Fact]
    public void BuildTokenSessionUpdate_NonAsciiText_SameValueAfterParsing()
    {
        const string Instructions = "Réponds en français 🎤 \u0001 \"q\" \\ /";
        var claim = JsonSerializer.Serialize(new { instructions = Instructions });

        var frame = TokenGa.BuildTokenSessionUpdate(Claim(claim));

        using var parsed = JsonDocument.Parse(frame);
        Assert.Equal(Instructions, parsed.RootElement.GetProperty("session").GetProperty("instructions").GetString());
    }

    [Theory]
    [InlineData("{\"instructions\":\"\\ud800\"}", "instructions")]
    [InlineData("{\"type\":\"\\ud800\"}", "type")]
    [InlineData("{\"tools\":[{\"name\":\"f\",\"\\udc00\":1}]}", "tools")]
    [InlineData("{\"audio\":{\"output\":{\"voice\":{\"id\":\"\\ud800\"}}}}", "audio.output.voice")]
    public void FindDisallowed_UndecodableString_RefusedAtItsField(string claim, string expected)
    {
        Assert.Equal([expected], TokenGa.FindDisallowed(Claim(claim)));
        Assert.Throws<ArgumentException>(() => TokenGa.BuildTokenSessionUpdate(Claim(claim)));
    }

    [Fact]
    public void BuildTokenSessionUpdate_GaWithType_KeepsIt()
    {
        var frame = TokenGa.BuildTokenSessionUpdate(Claim("{\"instructions\":\"x\",\"type\":\"realtime\"}"));

        Assert.Equal(
            "{\"type\":\"session.update\",\"event_id\":\"event_voicebridge_token_session\",\"session\":{\"instructions\":\"x\",\"type\":\"realtime\"}}",
            Encoding.UTF8.GetString(frame));
    }

    [Fact]
    public void BuildTokenSessionUpdate_Beta_TranslatedToFlatNames()
    {
        var policy = new SessionUpdatePolicy(["instructions", "audio", "output_modalities", "max_output_tokens", "tools"], SessionShape.Beta);
        var claim = Claim(
            "{\"type\":\"realtime\",\"instructions\":\"i\",\"output_modalities\":[\"audio\"],\"max_output_tokens\":100," +
            "\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"},\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":0.4}," +
            "\"transcription\":{\"model\":\"whisper-1\"},\"noise_reduction\":null}," +
            "\"output\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},\"voice\":\"alloy\",\"speed\":1.1}},\"tools\":[]}");

        var frame = policy.BuildTokenSessionUpdate(claim);

        Assert.Equal(
            "{\"type\":\"session.update\",\"event_id\":\"event_voicebridge_token_session\",\"session\":{" +
            "\"instructions\":\"i\",\"modalities\":[\"text\",\"audio\"],\"max_response_output_tokens\":100," +
            "\"input_audio_format\":\"g711_ulaw\",\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":0.4}," +
            "\"input_audio_transcription\":{\"model\":\"whisper-1\"},\"input_audio_noise_reduction\":null," +
            "\"output_audio_format\":\"pcm16\",\"voice\":\"alloy\",\"speed\":1.1,\"tools\":[]}}",
            Encoding.UTF8.GetString(frame));
    }

    [Fact]
    public void BuildTokenSessionUpdate_BetaDefaults_TextModalitiesAndPcmaKept()
    {
        var policy = new SessionUpdatePolicy(["output_modalities", "audio.output.format"], SessionShape.Beta);

        var frame = policy.BuildTokenSessionUpdate(Claim("{\"output_modalities\":[\"text\"],\"audio\":{\"output\":{\"format\":{\"type\":\"audio/pcma\"}}}}"));

        Assert.Equal(
            "{\"type\":\"session.update\",\"event_id\":\"event_voicebridge_token_session\",\"session\":{\"modalities\":[\"text\"],\"output_audio_format\":\"g711_alaw\"}}",
            Encoding.UTF8.GetString(frame));
    }

    [Theory]
    [InlineData("{\"model\":\"x\"}")]
    [InlineData("null")]
    public void BuildTokenSessionUpdate_DisallowedClaim_Throws(string claim)
    {
        Assert.Throws<ArgumentException>(() => TokenGa.BuildTokenSessionUpdate(Claim(claim)));
    }

    [Fact]
    public void BuildTokenSessionUpdate_Frame_PassesTheInspector()
    {
        var frame = TokenBeta.BuildTokenSessionUpdate(Claim("{\"instructions\":\"x\",\"audio\":{\"output\":{\"voice\":\"v\"}}}"));

        var inspection = VoiceBridge.Realtime.ClientEventInspector.Inspect(frame);
        Assert.Equal(VoiceBridge.Realtime.ClientEventKind.SessionUpdate, inspection.Kind);
    }
}
