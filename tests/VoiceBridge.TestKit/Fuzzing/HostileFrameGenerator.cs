using System.Text;

namespace VoiceBridge.TestKit.Fuzzing;

/// <summary>The family a hostile frame comes from (what it tries to break).</summary>
public enum HostileFrameKind
{
    /// <summary>A well-formed client event of a random type: the baseline the mutations start from.</summary>
    ValidEvent,

    /// <summary>A valid event with random byte flips, insertions, deletions, duplicated or swapped ranges.</summary>
    MutatedEvent,

    /// <summary>A valid event cut at a random byte.</summary>
    TruncatedJson,

    /// <summary>A valid event with non-ASCII text, cut inside a multi-byte UTF-8 sequence (and sometimes closed again).</summary>
    TruncatedUtf8,

    /// <summary>Overlong encodings, encoded surrogates, 0xFF, stray continuation bytes in names, values or structure.</summary>
    InvalidUtf8,

    /// <summary>Arrays/objects nested up to <see cref="HostileFrameGenerator.MaxNestingDepth"/> levels, closed or not.</summary>
    DeepNesting,

    /// <summary>Strings up to <see cref="HostileFrameGenerator.MaxHugeBytes"/>: audio, instructions, names, escapes.</summary>
    HugeString,

    /// <summary>Duplicated type, session, item, role, audio.</summary>
    DuplicateKeys,

    /// <summary>Numbers, booleans, null, arrays and objects where strings or objects go.</summary>
    WrongValueTypes,

    /// <summary>Random bytes sent as a text frame.</summary>
    RandomBytes,

    /// <summary>Binary frames: empty, one byte, odd lengths, huge.</summary>
    OddBinary,

    /// <summary><c>session.update</c> with random GA/beta/junk field trees, escaped and re-cased names.</summary>
    SessionUpdateTree,

    /// <summary><c>conversation.item.create</c> with <c>system</c> roles in odd places and spellings.</summary>
    SystemRoleItem,

    /// <summary><c>input_audio_buffer.append</c> with invalid or odd base64.</summary>
    InvalidBase64Append,
}

/// <summary>One generated frame: the bytes of one WebSocket message, text or binary.</summary>
public sealed record HostileFrame(HostileFrameKind Kind, bool IsText, byte[] Payload)
{
    /// <summary>Whether a text frame's bytes are valid UTF-8 (a WebSocket server may close 1007 on the others).</summary>
    public bool IsValidUtf8 => System.Text.Unicode.Utf8.IsValid(Payload);

    public override string ToString() =>
        $"{Kind} {(IsText ? "text" : "binary")} {Payload.Length} B: " +
        (IsText ? Encoding.UTF8.GetString(Payload, 0, Math.Min(Payload.Length, 200)) : Convert.ToHexString(Payload, 0, Math.Min(Payload.Length, 32)));
}

/// <summary>
/// A deterministic generator of hostile browser frames for fuzz-style tests (FsCheck does not
/// restore here). The same seed gives the same frames on the same runtime. Not thread-safe.
/// </summary>
public sealed class HostileFrameGenerator
{
    private static readonly HostileFrameKind[] AllKinds = Enum.GetValues<HostileFrameKind>();

    // Cheap families dominate so 30,000 frames stay fast; huge payloads are rare.
    private static readonly (HostileFrameKind Kind, int Weight)[] Weights =
    [
        (HostileFrameKind.ValidEvent, 8),
        (HostileFrameKind.MutatedEvent, 22),
        (HostileFrameKind.TruncatedJson, 8),
        (HostileFrameKind.TruncatedUtf8, 5),
        (HostileFrameKind.InvalidUtf8, 5),
        (HostileFrameKind.DeepNesting, 4),
        (HostileFrameKind.HugeString, 1),
        (HostileFrameKind.DuplicateKeys, 6),
        (HostileFrameKind.WrongValueTypes, 6),
        (HostileFrameKind.RandomBytes, 6),
        (HostileFrameKind.OddBinary, 4),
        (HostileFrameKind.SessionUpdateTree, 12),
        (HostileFrameKind.SystemRoleItem, 8),
        (HostileFrameKind.InvalidBase64Append, 5),
    ];

    private static readonly string[] EventTypes =
    [
        "session.update", "input_audio_buffer.append", "input_audio_buffer.commit", "input_audio_buffer.clear",
        "conversation.item.create", "conversation.item.truncate", "conversation.item.delete", "conversation.item.retrieve",
        "response.create", "response.cancel", "output_audio_buffer.clear", "transcription_session.update",
        "", "x", "Session.update", "session.update ", "error", "response.output_audio.delta",
    ];

    private static readonly string[] GaSessionNames =
    [
        "type", "instructions", "tools", "tool_choice", "prompt", "model", "tracing", "max_output_tokens",
        "output_modalities", "truncation", "include", "audio", "audio", "audio", "reasoning", "parallel_tool_calls",
    ];

    private static readonly string[] BetaSessionNames =
    [
        "voice", "speed", "turn_detection", "input_audio_format", "output_audio_format", "input_audio_transcription",
        "input_audio_noise_reduction", "modalities", "max_response_output_tokens", "temperature",
    ];

    private static readonly string[] AudioDirections = ["input", "output", "Input", "inputs", "format"];

    private static readonly string[] AudioFields =
    [
        "format", "turn_detection", "transcription", "noise_reduction", "voice", "speed", "type", "rate", "threshold", "instructions",
    ];

    private static readonly string[] JunkNames = ["", " ", "a", "__proto__", "constructor", "$ref", "session", "item", "role", "é", "🎤", "\u0000", "a.b"];

    private static readonly string[] Words = ["marin", "system", "user", "server_vad", "audio/pcm", "pcm16", "realtime", "auto", "inf", "é", "日本", "🎤", "\"", "\\", "\n", "</script>"];

    private static readonly byte[][] InvalidUtf8Sequences =
    [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80],
        [0xF5, 0x80, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0x80], [0xBF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x8E],
    ];

    private static readonly string JsonAlphabet = "{}[]\":,\\ tfnrue0123456789.-+eE/u\u00e9";

    private readonly Random _random;
    private readonly int _totalWeight = Weights.Sum(w => w.Weight);

    public HostileFrameGenerator(int seed)
    {
        _random = new Random(seed);
    }

    /// <summary>Largest huge string or binary frame, in bytes (default 256 KiB; lower it under a message-size cap to stay below it, or raise it to test the cap).</summary>
    public int MaxHugeBytes { get; init; } = 256 * 1024;

    /// <summary>Deepest nesting generated (default 5,000 levels).</summary>
    public int MaxNestingDepth { get; init; } = 5000;

    public static IReadOnlyList<HostileFrameKind> Kinds => AllKinds;

    /// <summary>The next frame, its family drawn by weight.</summary>
    public HostileFrame Next()
    {
        var pick = _random.Next(_totalWeight);
        foreach (var (kind, weight) in Weights)
        {
            if (pick < weight)
            {
                return Next(kind);
            }

            pick -= weight;
        }

        throw new InvalidOperationException("unreachable");
    }

    /// <summary>The next frame of the given family.</summary>
    public HostileFrame Next(HostileFrameKind kind) => kind switch
    {
        HostileFrameKind.ValidEvent => Text(kind, ValidEvent()),
        HostileFrameKind.MutatedEvent => new HostileFrame(kind, true, Mutate(Encoding.UTF8.GetBytes(ValidEvent()))),
        HostileFrameKind.TruncatedJson => new HostileFrame(kind, true, Truncate(Encoding.UTF8.GetBytes(ValidEvent()))),
        HostileFrameKind.TruncatedUtf8 => new HostileFrame(kind, true, TruncatedUtf8()),
        HostileFrameKind.InvalidUtf8 => new HostileFrame(kind, true, InvalidUtf8()),
        HostileFrameKind.DeepNesting => Text(kind, DeepNesting()),
        HostileFrameKind.HugeString => Text(kind, HugeString()),
        HostileFrameKind.DuplicateKeys => Text(kind, DuplicateKeys()),
        HostileFrameKind.WrongValueTypes => Text(kind, WrongValueTypes()),
        HostileFrameKind.RandomBytes => new HostileFrame(kind, true, RandomBytes()),
        HostileFrameKind.OddBinary => new HostileFrame(kind, false, OddBinary()),
        HostileFrameKind.SessionUpdateTree => Text(kind, SessionUpdate()),
        HostileFrameKind.SystemRoleItem => Text(kind, SystemRoleItem()),
        HostileFrameKind.InvalidBase64Append => Text(kind, InvalidBase64Append()),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary><paramref name="count"/> frames drawn by weight.</summary>
    public IEnumerable<HostileFrame> Take(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next();
        }
    }

    /// <summary>
    /// Fragment sizes (summing to <paramref name="payloadLength"/>) to send one message as several
    /// WebSocket frames: usually one, sometimes many, with zero-length fragments mixed in.
    /// </summary>
    public IReadOnlyList<int> FragmentSizes(int payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        if (payloadLength == 0 || _random.Next(3) == 0)
        {
            return [payloadLength];
        }

        var sizes = new List<int>();
        var left = payloadLength;
        while (left > 0)
        {
            var size = _random.Next(4) == 0 ? 0 : Math.Min(left, 1 + _random.Next(Math.Max(1, Math.Min(left, _random.Next(2) == 0 ? 8 : 4096))));
            sizes.Add(size);
            left -= size;
        }

        return sizes;
    }

    // ------------------------------------------------------------------ families

    private static HostileFrame Text(HostileFrameKind kind, string json) => new(kind, true, Encoding.UTF8.GetBytes(json));

    private string ValidEvent()
    {
        return _random.Next(8) switch
        {
            0 => SessionUpdate(),
            1 => Append(Convert.ToBase64String(RandomBlock(_random.Next(0, 2400)))),
            2 => SystemRoleItem(),
            3 => Event("conversation.item.create", "\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":" + Str(Word()) + "}]}"),
            4 => Event("response.create", "\"response\":" + Value(3)),
            _ => Event(Pick(EventTypes), RandomMembers(3)),
        };
    }

    private byte[] Mutate(byte[] bytes)
    {
        var list = new List<byte>(bytes);
        var mutations = 1 + _random.Next(_random.Next(4) == 0 ? 12 : 3);
        for (var m = 0; m < mutations; m++)
        {
            var at = list.Count == 0 ? 0 : _random.Next(list.Count);
            switch (_random.Next(7))
            {
                case 0 when list.Count > 0:
                    list[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1:
                    list.Insert(at, (byte)JsonAlphabet[_random.Next(JsonAlphabet.Length)]);
                    break;
                case 2:
                    list.Insert(at, (byte)_random.Next(256));
                    break;
                case 3 when list.Count > 0:
                    list.RemoveRange(at, Math.Min(list.Count - at, 1 + _random.Next(8)));
                    break;
                case 4 when list.Count > 0:
                    var length = Math.Min(list.Count - at, 1 + _random.Next(32));
                    list.InsertRange(_random.Next(list.Count), list.GetRange(at, length));
                    break;
                case 5 when list.Count > 1:
                    var other = _random.Next(list.Count);
                    (list[at], list[other]) = (list[other], list[at]);
                    break;
                default:
                    list.Insert(at, (byte)" \t\r\n"[_random.Next(4)]);
                    break;
            }
        }

        return [.. list];
    }

    private byte[] Truncate(byte[] bytes) => bytes.AsSpan(0, bytes.Length == 0 ? 0 : _random.Next(bytes.Length)).ToArray();

    private byte[] TruncatedUtf8()
    {
        var text = Event(Pick(["conversation.item.create", "session.update", "x"]), "\"text\":\"" + Word() + "日本語 🎤 éè" + Word() + "\"");
        var bytes = Encoding.UTF8.GetBytes(text);
        var multiByteStarts = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] >= 0xC0).ToArray();
        var start = multiByteStarts[_random.Next(multiByteStarts.Length)];
        var cut = start + 1 + _random.Next(bytes[start] >= 0xF0 ? 3 : bytes[start] >= 0xE0 ? 2 : 1);
        var head = bytes.AsSpan(0, cut).ToArray();
        // Sometimes close the JSON after the broken character, so only the UTF-8 is wrong.
        return _random.Next(2) == 0 ? head : [.. head, .. "\"}"u8];
    }

    private byte[] InvalidUtf8()
    {
        var bytes = new List<byte>(Encoding.UTF8.GetBytes(ValidEvent()));
        var count = 1 + _random.Next(3);
        for (var i = 0; i < count; i++)
        {
            var sequence = InvalidUtf8Sequences[_random.Next(InvalidUtf8Sequences.Length)];
            // Inside a string (after a quote) most of the time, anywhere otherwise.
            var quotes = Enumerable.Range(0, bytes.Count).Where(j => bytes[j] == (byte)'"').ToArray();
            var at = quotes.Length > 0 && _random.Next(4) != 0 ? quotes[_random.Next(quotes.Length)] + 1 : _random.Next(bytes.Count + 1);
            bytes.InsertRange(Math.Min(at, bytes.Count), sequence);
        }

        return [.. bytes];
    }

    private string DeepNesting()
    {
        var depth = _random.Next(4) == 0 ? _random.Next(MaxNestingDepth + 1) : _random.Next(40, 80);
        var open = _random.Next(3) switch
        {
            0 => "[",
            1 => "{\"a\":",
            _ => "[{\"type\":",
        };
        var close = open switch
        {
            "[" => "]",
            "{\"a\":" => "}",
            _ => "}]",
        };
        var sb = new StringBuilder();
        var where = _random.Next(4);
        sb.Append(where switch
        {
            0 => "{\"type\":\"session.update\",\"session\":{\"audio\":",
            1 => "{\"type\":\"conversation.item.create\",\"item\":",
            2 => "{\"type\":\"x\",\"a\":",
            _ => string.Empty,
        });
        for (var i = 0; i < depth; i++)
        {
            sb.Append(open);
        }

        sb.Append(_random.Next(2) == 0 ? "1" : "\"system\"");
        var closed = _random.Next(3) != 0;
        if (closed)
        {
            for (var i = 0; i < depth; i++)
            {
                sb.Append(close);
            }

            sb.Append(where switch
            {
                0 => "},\"type\":\"x\"}",
                1 or 2 => "}",
                _ => string.Empty,
            });
        }

        return sb.ToString();
    }

    private string HugeString()
    {
        var size = _random.Next(1024, Math.Max(1025, MaxHugeBytes));
        return _random.Next(5) switch
        {
            0 => Append(new string('A', size / 4 * 4)),
            1 => Event("session.update", "\"session\":{\"instructions\":\"" + new string('x', size) + "\",\"audio\":{\"output\":{\"voice\":\"v\"}}}"),
            2 => "{\"" + new string('k', size) + "\":1,\"type\":\"x\"}",
            3 => Event("x", "\"s\":\"" + string.Concat(Enumerable.Repeat("\\u0000\\ud83c\\udfa4", size / 24 + 1)) + "\""),
            _ => "{\"type\":\"" + new string('t', size) + "\"}",
        };
    }

    private string DuplicateKeys() => _random.Next(7) switch
    {
        0 => "{\"type\":\"session.update\",\"type\":" + Str(Pick(EventTypes)) + "}",
        1 => "{\"type\":\"x\",\"t\\u0079pe\":\"session.update\"}",
        2 => Event("session.update", "\"session\":{\"instructions\":\"a\"},\"session\":{\"audio\":{\"output\":{\"voice\":\"v\"}}}"),
        3 => Event("session.update", "\"session\":{\"audio\":{\"output\":{\"voice\":\"a\"}},\"audio\":{\"input\":{\"format\":{}}},\"instructions\":\"x\",\"instructions\":\"y\"}"),
        4 => Event("conversation.item.create", "\"item\":{\"role\":\"user\",\"role\":\"system\"}"),
        5 => Event("conversation.item.create", "\"item\":{\"role\":\"user\"},\"item\":{\"role\":\"system\"}"),
        _ => Event("input_audio_buffer.append", "\"audio\":\"AAAA\",\"audio\":\"" + new string('A', 4 * _random.Next(1, 100)) + "\""),
    };

    private string WrongValueTypes()
    {
        var wrong = Pick(["1", "-0", "1e400", "true", "false", "null", "[]", "{}", "[\"session.update\"]", "{\"type\":\"session.update\"}"]);
        return _random.Next(6) switch
        {
            0 => "{\"type\":" + wrong + "}",
            1 => Event("input_audio_buffer.append", "\"audio\":" + wrong),
            2 => Event("conversation.item.create", "\"item\":" + wrong),
            3 => Event("conversation.item.create", "\"item\":{\"role\":" + wrong + "}"),
            4 => Event("session.update", "\"session\":" + wrong),
            _ => Event("session.update", "\"session\":{\"audio\":" + wrong + ",\"instructions\":" + wrong + "}"),
        };
    }

    private byte[] RandomBytes()
    {
        var length = _random.Next(_random.Next(10) == 0 ? 4096 : 64);
        if (_random.Next(2) == 0)
        {
            return RandomBlock(length);
        }

        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)JsonAlphabet[_random.Next(JsonAlphabet.Length)];
        }

        return bytes;
    }

    private byte[] OddBinary() => _random.Next(6) switch
    {
        0 => [],
        1 => RandomBlock(1),
        2 => RandomBlock(2 * _random.Next(1, 2400) + 1),
        3 => RandomBlock(2 * _random.Next(1, 2400)),
        4 => Encoding.UTF8.GetBytes(ValidEvent()),
        _ => RandomBlock(_random.Next(1024, Math.Max(1025, MaxHugeBytes))),
    };

    private string SessionUpdate()
    {
        var session = _random.Next(20) == 0 ? Value(2) : SessionObject(0);
        var members = new List<string> { "\"type\":\"session.update\"", "\"session\":" + session };
        if (_random.Next(2) == 0)
        {
            members.Add("\"event_id\":" + Str("evt_" + Word()));
        }

        Shuffle(members);
        return "{" + string.Join(",", members) + "}";
    }

    private string SessionObject(int depth)
    {
        var count = _random.Next(depth == 0 ? 6 : 4);
        var members = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = depth switch
            {
                0 => _random.Next(3) switch
                {
                    0 => Pick(GaSessionNames),
                    1 => Pick(BetaSessionNames),
                    _ => _random.Next(3) == 0 ? Pick(JunkNames) : Pick(GaSessionNames),
                },
                1 => _random.Next(5) == 0 ? Pick(AudioFields) : Pick(AudioDirections),
                2 => _random.Next(6) == 0 ? Pick(JunkNames) : Pick(AudioFields),
                _ => _random.Next(2) == 0 ? Pick(AudioFields) : Pick(JunkNames),
            };
            var value = depth < 4 && (name is "audio" or "input" or "output" || _random.Next(4) == 0)
                ? SessionObject(depth + 1)
                : Value(2);
            members.Add(Name(name) + ":" + value);
        }

        return "{" + string.Join(",", members) + "}";
    }

    private string SystemRoleItem()
    {
        var role = _random.Next(4) switch
        {
            0 => "\"system\"",
            1 => "\"sys\\u0074em\"",
            2 => Str(Pick(["user", "assistant", "System", "system ", "developer"])),
            _ => Value(1),
        };
        var roleName = _random.Next(4) == 0 ? "\"r\\u006fle\"" : "\"role\"";
        var item = _random.Next(6) switch
        {
            0 => "{\"type\":\"message\"," + roleName + ":" + role + ",\"content\":[{\"type\":\"input_text\",\"text\":\"x\"}]}",
            1 => "{\"content\":[{" + roleName + ":" + role + "}],\"role\":\"user\"}",
            2 => "{\"metadata\":{" + roleName + ":" + role + "}}",
            3 => "[{" + roleName + ":" + role + "}]",
            4 => "{" + roleName + ":\"user\"," + roleName + ":" + role + "}",
            _ => "{" + roleName + ":" + role + "}",
        };
        var members = new List<string>
        {
            "\"type\":" + (_random.Next(8) == 0 ? Str(Pick(EventTypes)) : "\"conversation.item.create\""),
            (_random.Next(6) == 0 ? "\"\\u0069tem\"" : "\"item\"") + ":" + item,
        };
        if (_random.Next(3) == 0)
        {
            members.Add("\"previous_item_id\":null");
        }

        Shuffle(members);
        return "{" + string.Join(",", members) + "}";
    }

    private string InvalidBase64Append() => Append(_random.Next(8) switch
    {
        0 => "!!!!",
        1 => "A===",
        2 => "AAA",
        3 => "AA AA",
        4 => "AA\\/A",
        5 => "\\u0041\\u0041\\u0041\\u0041",
        6 => "é🎤",
        _ => Convert.ToBase64String(RandomBlock(_random.Next(1, 64))) + "=",
    });

    // ------------------------------------------------------------------ pieces

    private static string Event(string type, string members) =>
        "{\"type\":" + Str(type) + (members.Length == 0 ? string.Empty : "," + members) + "}";

    private static string Append(string base64) => "{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + base64 + "\"}";

    private string RandomMembers(int depth)
    {
        var count = _random.Next(4);
        // Never a second "type": these members go into events meant to stay valid.
        return string.Join(",", Enumerable.Range(0, count).Select(_ => Name(_random.Next(2) == 0 ? Pick(JunkNames) : Pick(GaSessionNames[1..])) + ":" + Value(depth)));
    }

    private string Value(int depth)
    {
        var choice = _random.Next(depth <= 0 ? 6 : 8);
        return choice switch
        {
            0 => Str(Word()),
            1 => Pick(["0", "-1", "0.5", "1e3", "-0.0", "123456789012345678901234567890", "1E-400"]),
            2 => "true",
            3 => "false",
            4 => "null",
            5 => Str(Word() + Word()),
            6 => "[" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => Value(depth - 1))) + "]",
            _ => "{" + string.Join(",", Enumerable.Range(0, _random.Next(4)).Select(_ => Name(Pick(JunkNames)) + ":" + Value(depth - 1))) + "}",
        };
    }

    // A JSON property name: usually plain, sometimes with a character escaped or re-cased.
    private string Name(string name)
    {
        switch (_random.Next(8))
        {
            case 0 when name.Length > 0:
                var at = _random.Next(name.Length);
                var escaped = name[at] < 0x80 ? $"\\u{(int)name[at]:x4}" : name[at].ToString();
                return "\"" + Escape(name[..at]) + escaped + Escape(name[(at + 1)..]) + "\"";
            case 1:
                return Str(name.ToUpperInvariant());
            default:
                return Str(name);
        }
    }

    private static string Str(string value) => "\"" + Escape(value) + "\"";

    private static string Escape(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case < ' ':
                    sb.Append($"\\u{(int)c:x4}");
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    private string Word() => Pick(Words);

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private byte[] RandomBlock(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private void Shuffle<T>(List<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
