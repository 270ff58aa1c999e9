using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public class RealtimeCodecTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string Nested(int depth) =>
        "{\"type\":\"x\",\"a\":" + new string('[', depth) + new string(']', depth) + "}";

    // ---------------------------------------------------------------- IsValidClientEvent

    public static TheoryData<string> ValidClientEvents => new()
    {
        "{\"type\":\"a\"}",
        "{\"type\":\"\"}",
        "{\"type\":\"response.create\",\"response\":{\"type\":1}}",
        "{\"event_id\":\"e1\",\"type\":\"input_audio_buffer.commit\"}",
        "{\"\\u0074ype\":\"a\"}",
        "{\"ty\\u0070e\":\"a\"}",
        "{\"type\":\"\\u0061\"}",
        "  \r\n\t{ \"type\" : \"a\" }  \r\n\t",
        "{\"a\":{\"type\":1},\"type\":\"x\",\"b\":[{\"type\":null}]}",
        "{\"type\":\"émoji 🎤 ü\"}",
        "{\"type\":\"x\",\"nested\":" + "[[[[[[[[[[" + "]]]]]]]]]]" + "}",
    };

    [Theory]
    [MemberData(nameof(ValidClientEvents))]
    public void IsValidClientEvent_ObjectWithStringType_ReturnsTrue(string json)
    {
        Assert.True(RealtimeCodec.IsValidClientEvent(Utf8(json)));
    }

    public static TheoryData<string> InvalidClientEvents => new()
    {
        "",
        " ",
        "{}",
        "[]",
        "[{\"type\":\"a\"}]",
        "\"x\"",
        "\"type\"",
        "1",
        "null",
        "true",
        "{\"type\":1}",
        "{\"type\":null}",
        "{\"type\":true}",
        "{\"type\":{}}",
        "{\"type\":[\"a\"]}",
        "{\"Type\":\"a\"}",
        "{\"TYPE\":\"a\"}",
        "{\"type \":\"a\"}",
        "{\"a\":{\"type\":\"nested only\"}}",
        "{\"a\":[{\"type\":\"nested only\"}]}",
        "{\"type\":\"a\"} x",
        "{\"type\":\"a\"}{}",
        "{\"type\":\"a\"},",
        "{\"type\":\"a\"}\0",
        "{\"type\":\"a\"",
        "{\"type\":\"a",
        "{\"type\":",
        "{\"type\"",
        "{",
        "{\"type\":\"a\",}",
        "{\"type\":\"a\",\"b\":}",
        "{\"type\":\"a\",\"b\":[1,2}",
        "{\"type\":\"a\",\"b\":tru}",
        "{'type':'a'}",
        "{type:\"a\"}",
        "{\"type\":\"a\" /* comment */}",
        "// comment\n{\"type\":\"a\"}",
        "{\"type\":\"a\",\"type\":\"b\"}",
        "{\"type\":\"a\",\"\\u0074ype\":\"b\"}",
        "{\"type\":\"a\",\"type\":1}",
        "{\"type\":\"bad \\x escape\"}",
        "{\"type\":\"control \u0001 char\"}",
        "\uFEFF{\"type\":\"a\"}",
        "not json at all",
    };

    [Theory]
    [MemberData(nameof(InvalidClientEvents))]
    public void IsValidClientEvent_AnythingElse_ReturnsFalse(string json)
    {
        Assert.False(RealtimeCodec.IsValidClientEvent(Utf8(json)));
    }

    [Fact]
    public void IsValidClientEvent_MalformedAfterType_ReturnsFalse()
    {
        // The whole payload is read, not just up to "type".
        var json = "{\"type\":\"a\",\"big\":\"" + new string('x', 10_000) + "\",\"z\":[1,2,}";
        Assert.False(RealtimeCodec.IsValidClientEvent(Utf8(json)));
    }

    [Theory]
    [InlineData(10, true)]
    [InlineData(60, true)]
    [InlineData(63, true)]
    [InlineData(64, false)]
    [InlineData(100, false)]
    [InlineData(1000, false)]
    public void IsValidClientEvent_DeepNesting_RespectsDefaultMaxDepth(int arrayDepth, bool expected)
    {
        // The root object is depth 1, so 63 arrays inside it reach the default maximum of 64.
        Assert.Equal(expected, RealtimeCodec.IsValidClientEvent(Utf8(Nested(arrayDepth))));
    }

    [Fact]
    public void IsValidClientEvent_DeepObjectNesting100_ReturnsFalse()
    {
        var sb = new StringBuilder("{\"type\":\"x\"");
        for (var i = 0; i < 100; i++)
        {
            sb.Append(",\"a\":{\"b\":1");
        }

        sb.Append('}', 101);
        Assert.False(RealtimeCodec.IsValidClientEvent(Utf8(sb.ToString())));
    }

    [Fact]
    public void IsValidClientEvent_TypeAfterLargeNestedValue_ReturnsTrue()
    {
        var json = "{\"audio\":\"" + new string('A', 50_000) + "\",\"obj\":{\"type\":1,\"x\":[1,2,3]},\"type\":\"input_audio_buffer.append\"}";
        Assert.True(RealtimeCodec.IsValidClientEvent(Utf8(json)));
    }

    // ---------------------------------------------------------------- TryReadType

    [Theory]
    [InlineData("{\"type\":\"response.output_audio.delta\",\"delta\":\"AAAA\"}", "response.output_audio.delta")]
    [InlineData("{\"event_id\":\"e\",\"type\":\"session.created\"}", "session.created")]
    [InlineData("{\"session\":{\"type\":\"realtime\"},\"type\":\"session.updated\"}", "session.updated")]
    [InlineData("{\"a\":[{\"type\":\"no\"}],\"type\":\"yes\"}", "yes")]
    [InlineData(" { \"type\" : \"error\" } ", "error")]
    [InlineData("{\"\\u0074ype\":\"error\"}", "error")]
    [InlineData("{\"type\":\"\"}", "")]
    public void TryReadType_TopLevelTypeString_ReturnsRawValue(string json, string expected)
    {
        Assert.True(RealtimeCodec.TryReadType(Utf8(json), out var type));
        Assert.Equal(expected, Encoding.UTF8.GetString(type));
    }

    [Fact]
    public void TryReadType_StopsAtType_IgnoresMalformedRest()
    {
        var json = Utf8("{\"type\":\"response.done\",\"response\":{garbage");
        Assert.True(RealtimeCodec.TryReadType(json, out var type));
        Assert.True(type.SequenceEqual("response.done"u8));
    }

    [Fact]
    public void TryReadType_ValueIsSliceOfInput()
    {
        var json = Utf8("{\"type\":\"error\"}");
        Assert.True(RealtimeCodec.TryReadType(json, out var type));
        Assert.True(((ReadOnlySpan<byte>)json).Overlaps(type));
    }

    [Theory]
    [InlineData("")]
    [InlineData("[]")]
    [InlineData("\"type\"")]
    [InlineData("{}")]
    [InlineData("{\"type\":1}")]
    [InlineData("{\"type\":null}")]
    [InlineData("{\"type\":{\"type\":\"x\"}}")]
    [InlineData("{\"a\":{\"type\":\"nested\"}}")]
    [InlineData("{\"a\":[1,}")]
    [InlineData("{\"a\":1")]
    [InlineData("not json")]
    public void TryReadType_NoTopLevelTypeString_ReturnsFalse(string json)
    {
        Assert.False(RealtimeCodec.TryReadType(Utf8(json), out var type));
        Assert.True(type.IsEmpty);
    }

    [Fact]
    public void TryReadType_EscapedValueWithoutScratch_ReturnsFalse()
    {
        Assert.False(RealtimeCodec.TryReadType(Utf8("{\"type\":\"response.audio\\u002edelta\"}"), out _));
    }

    [Fact]
    public void TryReadType_EscapedValueWithScratch_Unescapes()
    {
        Span<byte> scratch = stackalloc byte[64];
        Assert.True(RealtimeCodec.TryReadType(Utf8("{\"type\":\"response.audio\\u002edelta\"}"), scratch, out var type));
        Assert.True(RealtimeEventTypes.IsAudioDelta(type));
    }

    [Fact]
    public void TryReadType_EscapedValueLongerThanScratch_ReturnsFalse()
    {
        Span<byte> scratch = stackalloc byte[4];
        Assert.False(RealtimeCodec.TryReadType(Utf8("{\"type\":\"response.audio\\u002edelta\"}"), scratch, out _));
    }

    // ---------------------------------------------------------------- append

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    [InlineData(4800, true)]
    [InlineData(4801, false)]
    [InlineData(-2, false)]
    public void IsValidAudioFrameLength_NonEmptyWholeSamplesOnly(int byteCount, bool expected)
    {
        Assert.Equal(expected, RealtimeCodec.IsValidAudioFrameLength(byteCount));
    }

    [Theory]
    [InlineData(0, 47)]
    [InlineData(1, 51)]
    [InlineData(2, 51)]
    [InlineData(3, 51)]
    [InlineData(4, 55)]
    [InlineData(4800, 47 + 6400)]
    public void GetAppendEventLength_IsPrefixPlusPaddedBase64PlusSuffix(int pcm, int expected)
    {
        Assert.Equal(expected, RealtimeCodec.GetAppendEventLength(pcm));
    }

    [Fact]
    public void GetAppendEventLength_Negative_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RealtimeCodec.GetAppendEventLength(-1));
    }

    [Fact]
    public void GetAppendEventLength_WouldOverflowInt_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RealtimeCodec.GetAppendEventLength(int.MaxValue));
    }

    [Fact]
    public void WriteAppendEvent_KnownInput_ExactBytes()
    {
        var pcm = new byte[] { 0x01, 0x00, 0xFF, 0x7F };
        var dest = new byte[RealtimeCodec.GetAppendEventLength(pcm.Length)];

        var written = RealtimeCodec.WriteAppendEvent(pcm, dest);

        Assert.Equal(dest.Length, written);
        Assert.Equal("{\"type\":\"input_audio_buffer.append\",\"audio\":\"AQD/fw==\"}", Encoding.UTF8.GetString(dest));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(480)]
    [InlineData(4799)]
    [InlineData(4800)]
    [InlineData(9999)]
    [InlineData(10000)]
    public void WriteAppendEvent_RoundTripsThroughJsonDocumentAndConvert(int size)
    {
        var pcm = new byte[size];
        new Random(size).NextBytes(pcm);
        var dest = new byte[RealtimeCodec.GetAppendEventLength(size) + 16];

        var written = RealtimeCodec.WriteAppendEvent(pcm, dest);

        Assert.Equal(RealtimeCodec.GetAppendEventLength(size), written);
        using var doc = JsonDocument.Parse(dest.AsMemory(0, written));
        var root = doc.RootElement;
        Assert.Equal(2, root.EnumerateObject().Count());
        Assert.Equal("input_audio_buffer.append", root.GetProperty("type").GetString());
        Assert.Equal(pcm, Convert.FromBase64String(root.GetProperty("audio").GetString()!));
        Assert.True(RealtimeCodec.IsValidClientEvent(dest.AsSpan(0, written)));
        Assert.All(dest[written..], b => Assert.Equal(0, b));
    }

    [Fact]
    public void WriteAppendEvent_EverySizeUpTo10000_DecodesToInput()
    {
        var source = new byte[10_000];
        new Random(42).NextBytes(source);
        var dest = new byte[RealtimeCodec.GetAppendEventLength(source.Length)];
        var prefix = "{\"type\":\"input_audio_buffer.append\",\"audio\":\""u8.ToArray();

        for (var size = 0; size <= source.Length; size++)
        {
            var written = RealtimeCodec.WriteAppendEvent(source.AsSpan(0, size), dest);
            Assert.Equal(RealtimeCodec.GetAppendEventLength(size), written);
            Assert.True(dest.AsSpan(0, prefix.Length).SequenceEqual(prefix));
            Assert.True(dest.AsSpan(written - 2, 2).SequenceEqual("\"}"u8));
            var base64 = Encoding.ASCII.GetString(dest, prefix.Length, written - prefix.Length - 2);
            Assert.True(source.AsSpan(0, size).SequenceEqual(Convert.FromBase64String(base64)), $"size {size}");
        }
    }

    [Fact]
    public void WriteAppendEvent_DestinationTooSmall_Throws()
    {
        var pcm = new byte[6];
        var dest = new byte[RealtimeCodec.GetAppendEventLength(pcm.Length) - 1];
        Assert.Throws<ArgumentException>(() => RealtimeCodec.WriteAppendEvent(pcm, dest));
    }

    // ---------------------------------------------------------------- TrySplitAudioDelta

    private const string Pcm4Base64 = "AQD/fw=="; // 01 00 FF 7F

    private static (bool Ok, string Json, byte[] Pcm) Split(string json)
    {
        var source = Utf8(json);
        var jsonOut = new byte[source.Length];
        var pcmOut = new byte[Base64.GetMaxDecodedFromUtf8Length(source.Length)];
        var ok = RealtimeCodec.TrySplitAudioDelta(source, jsonOut, out var jsonLength, pcmOut, out var pcmLength);
        return (ok, Encoding.UTF8.GetString(jsonOut, 0, jsonLength), pcmOut[..pcmLength]);
    }

    public static TheoryData<string, string> SplitCases => new()
    {
        // delta last (GA order)
        {
            "{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_1\",\"response_id\":\"resp_1\",\"item_id\":\"item_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"" + Pcm4Base64 + "\"}",
            "{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_1\",\"response_id\":\"resp_1\",\"item_id\":\"item_1\",\"output_index\":0,\"content_index\":0}"
        },
        // delta first
        {
            "{\"delta\":\"" + Pcm4Base64 + "\",\"type\":\"response.output_audio.delta\",\"item_id\":\"item_1\"}",
            "{\"type\":\"response.output_audio.delta\",\"item_id\":\"item_1\"}"
        },
        // delta in the middle
        {
            "{\"type\":\"response.audio.delta\",\"delta\":\"" + Pcm4Base64 + "\",\"item_id\":\"item_1\"}",
            "{\"type\":\"response.audio.delta\",\"item_id\":\"item_1\"}"
        },
        // delta only
        {
            "{\"delta\":\"" + Pcm4Base64 + "\"}",
            "{}"
        },
        // obfuscation after delta
        {
            "{\"type\":\"response.output_audio.delta\",\"delta\":\"" + Pcm4Base64 + "\",\"obfuscation\":\"x7Q\"}",
            "{\"type\":\"response.output_audio.delta\",\"obfuscation\":\"x7Q\"}"
        },
        // obfuscation before delta
        {
            "{\"type\":\"response.output_audio.delta\",\"obfuscation\":\"x7Q\",\"delta\":\"" + Pcm4Base64 + "\"}",
            "{\"type\":\"response.output_audio.delta\",\"obfuscation\":\"x7Q\"}"
        },
        // whitespace everywhere, delta in the middle
        {
            "{ \"type\" : \"response.output_audio.delta\" ,\n  \"delta\" : \"" + Pcm4Base64 + "\" ,\n  \"item_id\" : \"i\" }",
            "{ \"type\" : \"response.output_audio.delta\" ,\n  \"item_id\" : \"i\" }"
        },
        // whitespace, delta first
        {
            " {\n  \"delta\" : \"" + Pcm4Base64 + "\" ,\n  \"type\" : \"t\"\n} ",
            " {\n  \"type\" : \"t\"\n} "
        },
        // whitespace, delta last
        {
            "{ \"type\" : \"t\" , \"delta\" : \"" + Pcm4Base64 + "\" }",
            "{ \"type\" : \"t\" }"
        },
        // whitespace, delta only
        {
            "{ \"delta\" : \"" + Pcm4Base64 + "\" }",
            "{  }"
        },
        // nested objects and a nested "delta" that must be left alone, before and after
        {
            "{\"type\":\"t\",\"meta\":{\"delta\":\"nested\",\"list\":[1,{\"delta\":2}]},\"delta\":\"" + Pcm4Base64 + "\",\"tail\":[{\"delta\":\"AAAA\"}]}",
            "{\"type\":\"t\",\"meta\":{\"delta\":\"nested\",\"list\":[1,{\"delta\":2}]},\"tail\":[{\"delta\":\"AAAA\"}]}"
        },
        // escaped property name still counts as delta
        {
            "{\"type\":\"t\",\"\\u0064elta\":\"" + Pcm4Base64 + "\"}",
            "{\"type\":\"t\"}"
        },
        // escaped slash inside the base64 value ("/" may be written "\/")
        {
            "{\"type\":\"t\",\"delta\":\"AQD\\/fw==\",\"z\":1}",
            "{\"type\":\"t\",\"z\":1}"
        },
        // non-ASCII elsewhere is kept byte for byte
        {
            "{\"type\":\"t\",\"note\":\"héllo 🎤\",\"delta\":\"" + Pcm4Base64 + "\"}",
            "{\"type\":\"t\",\"note\":\"héllo 🎤\"}"
        },
    };

    [Theory]
    [MemberData(nameof(SplitCases))]
    public void TrySplitAudioDelta_DeltaAnywhere_RemovesExactlyTheProperty(string source, string expectedJson)
    {
        var (ok, json, pcm) = Split(source);

        Assert.True(ok);
        Assert.Equal(expectedJson, json);
        Assert.Equal(new byte[] { 0x01, 0x00, 0xFF, 0x7F }, pcm);

        // And semantically: the original minus its top-level "delta".
        var expected = JsonNode.Parse(source)!.AsObject();
        expected.Remove("delta");
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(json)), json);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4800)]
    [InlineData(4801)]
    [InlineData(65_536)]
    public void TrySplitAudioDelta_RealisticSizes_DecodesPcm(int size)
    {
        var pcm = new byte[size];
        new Random(size).NextBytes(pcm);
        var source = "{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_abc\",\"response_id\":\"resp_1\",\"item_id\":\"item_1\",\"output_index\":0,\"content_index\":0,\"delta\":\""
            + Convert.ToBase64String(pcm) + "\",\"obfuscation\":\"abc\"}";

        var (ok, json, decoded) = Split(source);

        Assert.True(ok);
        Assert.Equal(pcm, decoded);
        using var doc = JsonDocument.Parse(json);
        Assert.False(doc.RootElement.TryGetProperty("delta", out _));
        Assert.Equal("abc", doc.RootElement.GetProperty("obfuscation").GetString());
        Assert.Equal(7, doc.RootElement.EnumerateObject().Count());
    }

    [Fact]
    public void TrySplitAudioDelta_EmptyDelta_ReturnsTrueWithNoPcm()
    {
        var (ok, json, pcm) = Split("{\"type\":\"t\",\"delta\":\"\"}");
        Assert.True(ok);
        Assert.Equal("{\"type\":\"t\"}", json);
        Assert.Empty(pcm);
    }

    [Theory]
    [InlineData("{\"type\":\"t\"}")]
    [InlineData("{}")]
    [InlineData("{\"type\":\"t\",\"meta\":{\"delta\":\"AQD/fw==\"}}")]
    [InlineData("{\"type\":\"t\",\"Delta\":\"AQD/fw==\"}")]
    [InlineData("{\"type\":\"t\",\"delta\":1}")]
    [InlineData("{\"type\":\"t\",\"delta\":null}")]
    [InlineData("{\"type\":\"t\",\"delta\":[\"AQD/fw==\"]}")]
    [InlineData("{\"type\":\"t\",\"delta\":{\"a\":1}}")]
    [InlineData("[{\"delta\":\"AQD/fw==\"}]")]
    [InlineData("\"delta\"")]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("{\"type\":\"t\",\"delta\":\"AQD/fw==")]
    [InlineData("{\"type\":\"t\",\"x\":[1,,2],\"delta\":\"AQD/fw==\"}")]
    public void TrySplitAudioDelta_NoTopLevelStringDelta_ReturnsFalse(string source)
    {
        Assert.False(Split(source).Ok);
    }

    [Theory]
    [InlineData("AQD/fw=")]      // bad length
    [InlineData("AQD/fw=a")]     // data after padding
    [InlineData("AQD*fw==")]     // not in the alphabet
    [InlineData("AQD-fw==")]     // base64url, not standard
    [InlineData("AQD_fw==")]
    [InlineData("A")]
    [InlineData("====")]
    [InlineData("\\u00e9AAA")]   // escaped non-ASCII
    public void TrySplitAudioDelta_InvalidBase64_ReturnsFalse(string delta)
    {
        var (ok, json, pcm) = Split("{\"type\":\"t\",\"delta\":\"" + delta + "\",\"z\":1}");
        Assert.False(ok);
        Assert.Empty(json);
        Assert.Empty(pcm);
    }

    [Fact]
    public void TrySplitAudioDelta_JsonDestinationShorterThanSource_Throws()
    {
        var source = Utf8("{\"delta\":\"AQD/fw==\"}");
        Assert.Throws<ArgumentException>(() =>
            RealtimeCodec.TrySplitAudioDelta(source, new byte[source.Length - 1], out _, new byte[64], out _));
    }

    [Fact]
    public void TrySplitAudioDelta_PcmDestinationTooSmall_Throws()
    {
        var source = Utf8("{\"delta\":\"AQD/fw==\"}");
        Assert.Throws<ArgumentException>(() =>
            RealtimeCodec.TrySplitAudioDelta(source, new byte[source.Length], out _, new byte[3], out _));
    }

    [Fact]
    public void TrySplitAudioDelta_DocumentedPcmBound_IsEnough()
    {
        // A frame that is almost all base64: the documented bound must still hold.
        var pcm = new byte[3000];
        var source = Utf8("{\"delta\":\"" + Convert.ToBase64String(pcm) + "\"}");
        var pcmOut = new byte[Base64.GetMaxDecodedFromUtf8Length(source.Length)];
        Assert.True(RealtimeCodec.TrySplitAudioDelta(source, new byte[source.Length], out var jsonLength, pcmOut, out var pcmLength));
        Assert.Equal(2, jsonLength);
        Assert.Equal(3000, pcmLength);
    }

    // ---------------------------------------------------------------- allocation

    [Fact]
    public void IsValidClientEvent_WellFormedFrames_AllocatesNothing()
    {
        var valid = Utf8("{\"type\":\"response.create\",\"response\":{\"instructions\":\"hi\",\"list\":[1,2,{\"a\":null}]}}");
        var wrongShape = Utf8("{\"type\":1,\"b\":[]}");
        var array = Utf8("[1,2,3]");

        // Warm up (JIT, statics).
        RealtimeCodec.IsValidClientEvent(valid);
        RealtimeCodec.IsValidClientEvent(wrongShape);
        RealtimeCodec.IsValidClientEvent(array);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var a = RealtimeCodec.IsValidClientEvent(valid);
        var b = RealtimeCodec.IsValidClientEvent(wrongShape);
        var c = RealtimeCodec.IsValidClientEvent(array);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(a);
        Assert.False(b);
        Assert.False(c);
    }

    [Fact]
    public void TryReadType_AllocatesNothing()
    {
        var frame = Utf8("{\"type\":\"response.output_audio.delta\",\"delta\":\"AAAA\"}");
        var escaped = Utf8("{\"type\":\"response.audio\\u002edelta\"}");
        Span<byte> scratch = stackalloc byte[64];
        RealtimeCodec.TryReadType(frame, out _);
        RealtimeCodec.TryReadType(escaped, scratch, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok1 = RealtimeCodec.TryReadType(frame, out var t1);
        var ok2 = RealtimeCodec.TryReadType(escaped, scratch, out var t2);
        var isDelta = RealtimeEventTypes.IsAudioDelta(t1) && RealtimeEventTypes.IsAudioDelta(t2);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(ok1 && ok2 && isDelta);
    }

    [Fact]
    public void WriteAppendEvent_AllocatesNothing()
    {
        var pcm = new byte[4800];
        new Random(1).NextBytes(pcm);
        var dest = new byte[RealtimeCodec.GetAppendEventLength(pcm.Length)];
        RealtimeCodec.WriteAppendEvent(pcm, dest);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var length = RealtimeCodec.GetAppendEventLength(pcm.Length);
        var written = RealtimeCodec.WriteAppendEvent(pcm, dest);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(length, written);
    }

    [Fact]
    public void TrySplitAudioDelta_AllocatesNothing()
    {
        var pcm = new byte[4800];
        new Random(2).NextBytes(pcm);
        var source = Utf8("{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_1\",\"delta\":\"" + Convert.ToBase64String(pcm) + "\",\"obfuscation\":\"q\"}");
        var sourceFirst = Utf8("{\"delta\":\"" + Convert.ToBase64String(pcm) + "\",\"type\":\"response.output_audio.delta\"}");
        var jsonOut = new byte[source.Length];
        var pcmOut = new byte[Base64.GetMaxDecodedFromUtf8Length(source.Length)];
        RealtimeCodec.TrySplitAudioDelta(source, jsonOut, out _, pcmOut, out _);
        RealtimeCodec.TrySplitAudioDelta(sourceFirst, jsonOut, out _, pcmOut, out _);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok1 = RealtimeCodec.TrySplitAudioDelta(source, jsonOut, out var jsonLength1, pcmOut, out var pcmLength1);
        var ok2 = RealtimeCodec.TrySplitAudioDelta(sourceFirst, jsonOut, out var jsonLength2, pcmOut, out var pcmLength2);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(ok1 && ok2);
        Assert.Equal(4800, pcmLength1);
        Assert.Equal(4800, pcmLength2);
        Assert.True(jsonLength1 > 0 && jsonLength2 > 0);
    }
}
