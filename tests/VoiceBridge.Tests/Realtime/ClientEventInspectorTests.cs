using System.Text;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public class ClientEventInspectorTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string Base64Of(int bytes) => Convert.ToBase64String(new byte[bytes]);

    // ---------------------------------------------------------------- validity

    public static TheoryData<string> InvalidFrames => new()
    {
        "",
        "   ",
        "[]",
        "\"type\"",
        "null",
        "{}",
        "{\"type\":1}",
        "{\"type\":null}",
        "{\"type\":\"a\",\"type\":\"a\"}",
        "{\"type\":\"a\",\"t\\u0079pe\":\"b\"}",
        "{\"item\":{\"type\":\"x\"}}",
        "{\"type\":\"a\"",
        "{\"type\":\"a\"} x",
        "{\"type\":\"a\"}{}",
        "{\"type\":\"a\",}",
        "{\"type\":\"a\",\"b\":[1,]}",
        "{\"type\":\"a\",\"b\":\"\\x\"}",
        "{\"type\":\"a\" // c\n}",
        "\uFEFF{\"type\":\"a\"}",
        "{\"type\":\"a\",\"b\":" + new string('[', 64) + new string(']', 64) + "}",
        // Truncated inside an item or an audio string.
        "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"system\"",
        "{\"type\":\"input_audio_buffer.append\",\"audio\":\"AAAA",
    };

    [Theory]
    [MemberData(nameof(InvalidFrames))]
    public void Inspect_InvalidFrame_IsInvalidAndEmpty(string json)
    {
        var result = ClientEventInspector.Inspect(Utf8(json));

        Assert.False(result.IsValid);
        Assert.Equal(ClientEventKind.Other, result.Kind);
        Assert.Equal(0, result.TypeLength);
        Assert.Equal(0, result.AudioByteCount);
        Assert.False(result.HasSystemRole);
        Assert.False(result.TypeEquals(Utf8(json), "a"));
    }

    [Theory]
    [MemberData(nameof(InvalidFrames))]
    public void IsValidClientEvent_AgreesWithInspector(string json)
    {
        Assert.Equal(ClientEventInspector.Inspect(Utf8(json)).IsValid, RealtimeCodec.IsValidClientEvent(Utf8(json)));
    }

    // ---------------------------------------------------------------- kind and type location

    public static TheoryData<string, string, string> Kinds => new()
    {
        { "{\"type\":\"session.update\",\"session\":{}}", nameof(ClientEventKind.SessionUpdate), "session.update" },
        { "{\"session\":{\"type\":\"realtime\"},\"type\":\"session.update\"}", nameof(ClientEventKind.SessionUpdate), "session.update" },
        { "{\"type\":\"session\\u002eupdate\"}", nameof(ClientEventKind.SessionUpdate), "session.update" },
        { "{\"\\u0074ype\":\"session.update\"}", nameof(ClientEventKind.SessionUpdate), "session.update" },
        { "{\"type\":\"input_audio_buffer.append\",\"audio\":\"\"}", nameof(ClientEventKind.InputAudioBufferAppend), "input_audio_buffer.append" },
        { "{\"type\":\"conversation.item.create\"}", nameof(ClientEventKind.ConversationItemCreate), "conversation.item.create" },
        { "{\"type\":\"response.create\"}", nameof(ClientEventKind.Other), "response.create" },
        { "{\"type\":\"Session.update\"}", nameof(ClientEventKind.Other), "Session.update" },
        { "{\"type\":\"session.update \"}", nameof(ClientEventKind.Other), "session.update " },
        { "{\"type\":\"\"}", nameof(ClientEventKind.Other), "" },
        // Nested decoys: only the top-level type counts.
        { "{\"item\":{\"type\":\"session.update\"},\"type\":\"y\"}", nameof(ClientEventKind.Other), "y" },
        { "{\"session\":{\"type\":\"input_audio_buffer.append\"},\"type\":\"session.update\"}", nameof(ClientEventKind.SessionUpdate), "session.update" },
        { "{\"a\":[{\"type\":\"session.update\"}],\"type\":\"x\"}", nameof(ClientEventKind.Other), "x" },
        { "{\"type\":\"émoji 🎤\"}", nameof(ClientEventKind.Other), "émoji 🎤" },
        // An escaped lone surrogate equals no name, wherever it is.
        { "{\"\\ud800\":1,\"type\":\"a\"}", nameof(ClientEventKind.Other), "a" },
        { "{\"\\u0074ype\\udc00\":1,\"type\":\"session.update\"}", nameof(ClientEventKind.SessionUpdate), "session.update" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Inspect_ValidFrame_KindAndTypeFromTopLevelType(string json, string kind, string type)
    {
        var frame = Utf8(json);

        var result = ClientEventInspector.Inspect(frame);

        Assert.True(result.IsValid);
        Assert.Equal(Enum.Parse<ClientEventKind>(kind), result.Kind);
        Assert.True(result.TypeEquals(frame, type));
        Assert.True(result.TypeEquals(frame, Utf8(type)));
        Assert.False(result.TypeEquals(frame, type + "x"));
        Assert.False(result.TypeEquals(frame, Utf8(type + "x")));
        Span<byte> copy = stackalloc byte[result.TypeLength];
        Assert.True(result.TryCopyType(frame, copy, out var written));
        Assert.Equal(type, Encoding.UTF8.GetString(copy[..written]));
    }

    [Fact]
    public void Inspect_UnescapedType_RawTypeIsSliceOfFrame()
    {
        var frame = Utf8("{ \"event_id\" : \"e\" , \"type\" : \"input_audio_buffer.commit\" }");

        var result = ClientEventInspector.Inspect(frame);

        Assert.False(result.TypeIsEscaped);
        Assert.Equal(frame.AsSpan().IndexOf("input_audio_buffer.commit"u8), result.TypeOffset);
        Assert.Equal("input_audio_buffer.commit"u8.Length, result.TypeLength);
        Assert.True(result.RawType(frame).SequenceEqual("input_audio_buffer.commit"u8));
    }

    [Fact]
    public void Inspect_EscapedType_RawTypeIsEscapedText()
    {
        var frame = Utf8("{\"type\":\"a\\/b\"}");

        var result = ClientEventInspector.Inspect(frame);

        Assert.True(result.TypeIsEscaped);
        Assert.Equal("a\\/b", Encoding.UTF8.GetString(result.RawType(frame)));
        Assert.True(result.TypeEquals(frame, "a/b"));
        Assert.True(result.TypeEquals(frame, "a/b"u8));
        Assert.False(result.TypeEquals(frame, "a\\/b"));
    }

    [Theory]
    [InlineData("{\"type\":\"\\ud800\"}")]
    [InlineData("{\"type\":\"session.updat\\ud800\"}")]
    [InlineData("{\"type\":\"conversation.item.creat\\udc00\",\"item\":{\"role\":\"system\"}}")]
    public void Inspect_UndecodableType_ValidButMatchesNothing(string json)
    {
        var frame = Utf8(json);

        var result = ClientEventInspector.Inspect(frame);

        Assert.True(result.IsValid);
        Assert.Equal(ClientEventKind.Other, result.Kind);
        Assert.False(result.HasSystemRole);
        Assert.False(result.TypeEquals(frame, "session.update"));
        Assert.False(result.TypeEquals(frame, "session.update"u8));
        Assert.False(result.TryCopyType(frame, new byte[100], out _));
    }

    [Fact]
    public void TryCopyType_DestinationShorterThanRaw_ReturnsFalse()
    {
        var frame = Utf8("{\"type\":\"abc\"}");
        var result = ClientEventInspector.Inspect(frame);

        Assert.False(result.TryCopyType(frame, new byte[2], out var written));
        Assert.Equal(0, written);
    }

    // ---------------------------------------------------------------- appends

    public static TheoryData<string, int> AudioSizes => new()
    {
        { "\"\"", 0 },
        { "\"AA==\"", 1 },
        { "\"AAA=\"", 2 },
        { "\"AAAA\"", 3 },
        { "\"AAA\"", 2 },         // unpadded: still 2 bytes
        { "\"" + Base64Of(4800) + "\"", 4800 },
        { "\"" + Base64Of(4801) + "\"", 4801 },
        { "\"" + Base64Of(4802) + "\"", 4802 },
        { "\"AA\\/A\"", 3 },      // escaped: counted raw (5 characters), never under
        { "1234", 0 },
        { "null", 0 },
        { "[\"AAAA\"]", 0 },
        { "{\"audio\":\"AAAA\"}", 0 },
    };

    [Theory]
    [MemberData(nameof(AudioSizes))]
    public void Inspect_Append_AudioByteCountFromBase64Length(string audioValue, int expected)
    {
        var result = ClientEventInspector.Inspect(Utf8("{\"type\":\"input_audio_buffer.append\",\"audio\":" + audioValue + "}"));

        Assert.True(result.IsValid);
        Assert.Equal(expected, result.AudioByteCount);
    }

    [Theory]
    [InlineData("{\"audio\":\"AAAAAAAA\",\"event_id\":\"e\",\"type\":\"input_audio_buffer.append\"}", 6)]
    [InlineData("{\"type\":\"input_audio_buffer.append\",\"\\u0061udio\":\"AAAA\"}", 3)]
    [InlineData("{\"type\":\"input_audio_buffer.append\",\"audio\":\"AAAA\",\"audio\":\"AAAAAAAA\"}", 9)]
    [InlineData("{\"type\":\"input_audio_buffer.append\",\"x\":{\"audio\":\"AAAAAAAA\"},\"audio\":\"AAAA\"}", 3)]
    [InlineData("{\"type\":\"input_audio_buffer.append\"}", 0)]
    [InlineData("{\"type\":\"input_audio_buffer.commit\",\"audio\":\"AAAA\"}", 0)]
    [InlineData("{\"type\":\"conversation.item.create\",\"audio\":\"AAAA\"}", 0)]
    public void Inspect_AudioAnywhereAtTopLevel_CountedOnlyForAppends(string json, int expected)
    {
        Assert.Equal(expected, ClientEventInspector.Inspect(Utf8(json)).AudioByteCount);
    }

    [Fact]
    public void DecodedLengthUpperBound_MatchesDecoderForEverySizeUpTo300()
    {
        for (var size = 0; size <= 300; size++)
        {
            var base64 = Utf8(Base64Of(size));
            Assert.Equal(size, ClientEventInspector.DecodedLengthUpperBound(base64, isEscaped: false));
        }
    }

    // ---------------------------------------------------------------- system items

    public static TheoryData<string, bool> SystemRoles => new()
    {
        { "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"system\",\"content\":[]}}", true },
        { "{\"item\":{\"role\":\"system\"},\"type\":\"conversation.item.create\"}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"r\\u006fle\":\"system\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"sys\\u0074em\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"user\",\"role\":\"system\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"system\",\"role\":\"user\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"user\"},\"item\":{\"role\":\"system\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"\\u0069tem\":{\"role\":\"system\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"content\":[{\"type\":\"input_text\",\"text\":\"x\"}],\"role\":\"system\"}}", true },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"user\"}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"System\"}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"system \"}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":[\"system\"]}}", false },
        // Deeper than item: not the item's role.
        { "{\"type\":\"conversation.item.create\",\"item\":{\"content\":[{\"role\":\"system\"}],\"role\":\"user\"}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"x\":{\"role\":\"system\"}}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":[{\"role\":\"system\"}]}", false },
        { "{\"type\":\"conversation.item.create\",\"role\":\"system\"}", false },
        { "{\"type\":\"conversation.item.create\",\"x\":{\"item\":{\"role\":\"system\"}}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"text\":\"role\",\"content\":\"system\"}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"role\":\"syste\\udc00\"}}", false },
        { "{\"type\":\"conversation.item.create\",\"item\":{\"rol\\udc00\":\"system\"}}", false },
        // Another event type: not reported.
        { "{\"type\":\"response.create\",\"item\":{\"role\":\"system\"}}", false },
    };

    [Theory]
    [MemberData(nameof(SystemRoles))]
    public void Inspect_ItemCreate_SystemRoleOnlyDirectlyInTopLevelItem(string json, bool expected)
    {
        var result = ClientEventInspector.Inspect(Utf8(json));

        Assert.True(result.IsValid);
        Assert.Equal(expected, result.HasSystemRole);
    }

    // ---------------------------------------------------------------- order

    [Fact]
    public void Inspect_EveryPropertyOrder_SameResult()
    {
        string[] members =
        [
            "\"type\":\"conversation.item.create\"",
            "\"event_id\":\"e1\"",
            "\"item\":{\"type\":\"message\",\"role\":\"system\",\"content\":[{\"type\":\"input_text\",\"text\":\"hi\"}]}",
            "\"audio\":\"AAAA\"",
        ];

        foreach (var order in Permutations(members.Length))
        {
            var frame = Utf8("{" + string.Join(",", order.Select(i => members[i])) + "}");
            var result = ClientEventInspector.Inspect(frame);
            Assert.True(result.IsValid);
            Assert.Equal(ClientEventKind.ConversationItemCreate, result.Kind);
            Assert.True(result.HasSystemRole);
            Assert.True(result.TypeEquals(frame, "conversation.item.create"));
        }
    }

    private static IEnumerable<int[]> Permutations(int n)
    {
        if (n == 0)
        {
            yield return [];
            yield break;
        }

        foreach (var rest in Permutations(n - 1))
        {
            for (var i = 0; i <= rest.Length; i++)
            {
                yield return [.. rest[..i], n - 1, .. rest[i..]];
            }
        }
    }

    // ---------------------------------------------------------------- allocation

    [Fact]
    public void Inspect_ValidFrames_AllocateNothing()
    {
        byte[][] frames =
        [
            Utf8("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + Base64Of(4800) + "\"}"),
            Utf8("{\"type\":\"conversation.item.create\",\"item\":{\"r\\u006fle\":\"system\",\"content\":[{\"text\":\"x\"}]}}"),
            Utf8("{\"event_id\":\"e\",\"session\":{\"audio\":{\"output\":{\"voice\":\"marin\"}}},\"type\":\"session\\u002eupdate\"}"),
            Utf8("{\"type\":\"response.create\",\"response\":{\"type\":1}}"),
        ];
        var set = ClientEventTypeSet.Create(["session.update", "response.create"]);

        var hits = 0;
        for (var warmUp = 0; warmUp < 3; warmUp++)
        {
            foreach (var frame in frames)
            {
                var result = ClientEventInspector.Inspect(frame);
                hits += set.Contains(frame, result) ? 1 : 0;
                hits += result.TypeEquals(frame, "session.update") ? 1 : 0;
            }
        }

        Assert.Equal(0, AllocationProbe.FewestBytes(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                foreach (var frame in frames)
                {
                    var result = ClientEventInspector.Inspect(frame);
                    hits += result.AudioByteCount + (result.HasSystemRole ? 1 : 0);
                    hits += set.Contains(frame, result) ? 1 : 0;
                    hits += result.TypeEquals(frame, "session.update") ? 1 : 0;
                    hits += result.TypeEquals(frame, "session.update"u8) ? 1 : 0;
                    hits += RealtimeCodec.IsValidClientEvent(frame) ? 1 : 0;
                }
            }
        }));
        Assert.True(hits > 0);
    }
}
