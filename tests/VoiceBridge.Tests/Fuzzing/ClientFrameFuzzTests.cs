using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Limits;
using VoiceBridge.Realtime;
using VoiceBridge.Security;
using VoiceBridge.TestKit.Fuzzing;
using Xunit.Abstractions;

namespace VoiceBridge.Tests.Fuzzing;

/// <summary>
/// 30,000+ hostile frames through the pure pieces of the browser path. Each frame is checked
/// against an independent oracle built on <see cref="JsonDocument"/>: the inspector agrees with
/// it, and the policy never lets a disallowed field through.
/// </summary>
public class ClientFrameFuzzTests(ITestOutputHelper output)
{
    private const int FrameCount = 32_000;

    private static readonly string[] NestedAllowed = ["audio.input.turn_detection.threshold", "instructions", "audio.output"];

    private static readonly (SessionUpdatePolicy Policy, HashSet<string> Allowed)[] Policies =
    [
        (new(RealtimeSessionOptions.DefaultClientMayUpdate, SessionShape.GA), [.. RealtimeSessionOptions.DefaultClientMayUpdate]),
        (new(RealtimeSessionOptions.DefaultClientMayUpdate, SessionShape.Beta), [.. RealtimeSessionOptions.DefaultClientMayUpdate]),
        (new(NestedAllowed, SessionShape.GA), [.. NestedAllowed]),
        (new(NestedAllowed, SessionShape.Beta), [.. NestedAllowed]),
        (new([], SessionShape.GA), []),
    ];

    private static readonly ClientEventTypeSet AllowedTypes = ClientEventTypeSet.Create(["session.update", "input_audio_buffer.append", "response.create"]);

    [Fact]
    public void Fuzz_HostileFrames_NeverThrowAndAgreeWithOracle()
    {
        var generator = new HostileFrameGenerator(seed: 20_251_103);
        var bucket = new AudioRateBucket(4, TimeSpan.FromSeconds(10), TimeProvider.System);
        var rewritten = new ArrayBufferWriter<byte>();
        var kinds = new Dictionary<HostileFrameKind, int>();
        var outcomes = new Dictionary<SessionUpdateOutcome, int>();
        var valid = 0;
        long bytes = 0;

        var total = Stopwatch.StartNew();
        var subject = new Stopwatch();
        var outcomesOfFrame = new SessionUpdateOutcome[Policies.Length];
        var removedOfFrame = new IReadOnlyList<string>[Policies.Length];
        var rewrittenOfFrame = new byte[Policies.Length][];
        for (var i = 0; i < FrameCount; i++)
        {
            var frame = generator.Next();
            kinds[frame.Kind] = kinds.GetValueOrDefault(frame.Kind) + 1;
            bytes += frame.Payload.Length;
            try
            {
                if (!frame.IsText)
                {
                    if (RealtimeCodec.IsValidAudioFrameLength(frame.Payload.Length))
                    {
                        _ = bucket.TryConsume(frame.Payload.Length) || bucket.ShouldReport();
                    }
                }

                // Binary frames go through the text path too: the pieces must hold on any bytes.
                subject.Start();
                var inspection = ClientEventInspector.Inspect(frame.Payload);
                for (var p = 0; p < Policies.Length; p++)
                {
                    rewritten.ResetWrittenCount();
                    outcomesOfFrame[p] = Policies[p].Policy.Apply(frame.Payload, rewritten, out removedOfFrame[p]);
                    rewrittenOfFrame[p] = rewritten.WrittenSpan.ToArray();
                }

                subject.Stop();

                valid += inspection.IsValid ? 1 : 0;
                CheckInspection(frame.Payload, inspection);
                for (var p = 0; p < Policies.Length; p++)
                {
                    var (policy, allowed) = Policies[p];
                    outcomes[outcomesOfFrame[p]] = outcomes.GetValueOrDefault(outcomesOfFrame[p]) + 1;
                    CheckPolicy(frame.Payload, inspection, policy, allowed, outcomesOfFrame[p], rewrittenOfFrame[p], removedOfFrame[p]);
                }
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"Frame {i} broke a rule: {frame}", ex);
            }
        }

        total.Stop();
        output.WriteLine($"{FrameCount} frames, {bytes / 1024} KiB, {valid} valid: {total.ElapsedMilliseconds} ms in all (generator and oracle included); " +
                         $"inspector + {Policies.Length} policies: {subject.ElapsedMilliseconds} ms ({FrameCount / subject.Elapsed.TotalSeconds:F0} frames/s)");
        output.WriteLine(string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}")));
        output.WriteLine(string.Join(", ", outcomes.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}")));

        Assert.Equal(HostileFrameGenerator.Kinds.Count, kinds.Count);
        Assert.All(Enum.GetValues<SessionUpdateOutcome>(), outcome => Assert.True(outcomes.GetValueOrDefault(outcome) > 100, $"{outcome} too rare"));
        Assert.InRange(valid, FrameCount / 5, FrameCount * 4 / 5);
    }

    [Fact]
    public void Generator_SameSeed_SameFrames()
    {
        var a = new HostileFrameGenerator(7).Take(2000).ToList();
        var b = new HostileFrameGenerator(7).Take(2000).ToList();
        var c = new HostileFrameGenerator(8).Take(2000).ToList();

        Assert.Equal(a.Select(f => (f.Kind, f.IsText, Convert.ToHexString(f.Payload))), b.Select(f => (f.Kind, f.IsText, Convert.ToHexString(f.Payload))));
        Assert.NotEqual(a.Select(f => Convert.ToHexString(f.Payload)), c.Select(f => Convert.ToHexString(f.Payload)));
    }

    [Fact]
    public void Generator_EveryKind_ProducesItsFamily()
    {
        var generator = new HostileFrameGenerator(1) { MaxHugeBytes = 64 * 1024, MaxNestingDepth = 3000 };
        foreach (var kind in HostileFrameGenerator.Kinds)
        {
            var frames = Enumerable.Range(0, 200).Select(_ => generator.Next(kind)).ToList();
            Assert.All(frames, f => Assert.Equal(kind, f.Kind));
            Assert.All(frames, f => Assert.True(f.Payload.Length <= 64 * 1024 + 64 * 1024 / 4 + 200 || kind == HostileFrameKind.HugeString));
            switch (kind)
            {
                case HostileFrameKind.ValidEvent:
                    Assert.All(frames, f => Assert.True(Oracle.Parse(f.Payload).IsValid, f.ToString()));
                    break;
                case HostileFrameKind.InvalidUtf8:
                case HostileFrameKind.TruncatedUtf8:
                    Assert.All(frames, f => Assert.False(f.IsValidUtf8, f.ToString()));
                    break;
                case HostileFrameKind.OddBinary:
                    Assert.All(frames, f => Assert.False(f.IsText));
                    Assert.Contains(frames, f => f.Payload.Length == 0);
                    Assert.Contains(frames, f => f.Payload.Length % 2 == 1);
                    break;
                case HostileFrameKind.DeepNesting:
                    Assert.Contains(frames, f => f.Payload.Count(b => b == (byte)'[') > 1000);
                    break;
                default:
                    Assert.All(frames, f => Assert.True(f.IsText));
                    break;
            }
        }
    }

    [Fact]
    public void FragmentSizes_SumToLength_IncludeSplitsAndEmptyFragments()
    {
        var generator = new HostileFrameGenerator(3);
        var all = Enumerable.Range(0, 500).Select(i => (Length: i * 37, Sizes: generator.FragmentSizes(i * 37))).ToList();

        Assert.All(all, x => Assert.Equal(x.Length, x.Sizes.Sum()));
        Assert.All(all, x => Assert.All(x.Sizes, s => Assert.True(s >= 0)));
        Assert.Contains(all, x => x.Sizes.Count > 10);
        Assert.Contains(all, x => x.Sizes.Contains(0) && x.Length > 0);
    }

    // ------------------------------------------------------------------ rules

    private static void CheckInspection(byte[] payload, ClientEventInspection inspection)
    {
        var oracle = Oracle.Parse(payload);
        Assert.Equal(oracle.IsValid, inspection.IsValid);
        Assert.Equal(inspection.IsValid, RealtimeCodec.IsValidClientEvent(payload));
        if (!inspection.IsValid)
        {
            Assert.Equal(default, inspection);
            Assert.False(AllowedTypes.Contains(payload, inspection));
            return;
        }

        var expectedKind = oracle.Type switch
        {
            "session.update" => ClientEventKind.SessionUpdate,
            "input_audio_buffer.append" => ClientEventKind.InputAudioBufferAppend,
            "conversation.item.create" => ClientEventKind.ConversationItemCreate,
            _ => ClientEventKind.Other,
        };
        Assert.Equal(expectedKind, inspection.Kind);
        if (oracle.Type is not null)
        {
            Assert.True(inspection.TypeEquals(payload, oracle.Type));
        }

        Assert.Equal(
            oracle.Type is "session.update" or "input_audio_buffer.append" or "response.create",
            AllowedTypes.Contains(payload, inspection));
        Assert.Equal(expectedKind == ClientEventKind.ConversationItemCreate && oracle.HasSystemRole, inspection.HasSystemRole);
        if (expectedKind == ClientEventKind.InputAudioBufferAppend)
        {
            // Never under the audio the upstream could decode from any of the audio strings.
            Assert.True(inspection.AudioByteCount >= oracle.DecodableAudioBytes, $"{inspection.AudioByteCount} < {oracle.DecodableAudioBytes}");
        }
        else
        {
            Assert.Equal(0, inspection.AudioByteCount);
        }
    }

    private static void CheckPolicy(
        byte[] payload,
        ClientEventInspection inspection,
        SessionUpdatePolicy policy,
        HashSet<string> allowed,
        SessionUpdateOutcome outcome,
        ReadOnlySpan<byte> rewritten,
        IReadOnlyList<string> removed)
    {
        if (!inspection.IsValid)
        {
            Assert.Equal(SessionUpdateOutcome.Invalid, outcome);
            Assert.Empty(removed);
            Assert.Equal(0, rewritten.Length);
            return;
        }

        switch (outcome)
        {
            case SessionUpdateOutcome.Unchanged:
                Assert.Empty(removed);
                Assert.Equal(0, rewritten.Length);
                // The original goes out as is: it must hold nothing the policy forbids.
                Assert.Empty(Oracle.Violations(payload, allowed, policy.Shape));
                break;

            case SessionUpdateOutcome.Rewritten:
                Assert.NotEmpty(removed);
                Assert.Equal(removed.Count, removed.Distinct().Count());
                var again = ClientEventInspector.Inspect(rewritten);
                Assert.True(again.IsValid);
                Assert.Equal(inspection.Kind, again.Kind);
                Assert.True(rewritten.Length < payload.Length);
                Assert.Empty(Oracle.Violations(rewritten.ToArray(), allowed, policy.Shape));
                Assert.True(Oracle.HasLeaf(rewritten.ToArray(), policy.Shape));
                var sink = new ArrayBufferWriter<byte>();
                Assert.Equal(SessionUpdateOutcome.Unchanged, policy.Apply(rewritten, sink, out _));
                break;

            case SessionUpdateOutcome.NothingLeft:
                Assert.NotEmpty(removed);
                Assert.Equal(0, rewritten.Length);
                break;

            default:
                Assert.Fail($"{outcome} for a valid frame");
                break;
        }
    }

    /// <summary>An independent reading of a frame with <see cref="JsonDocument"/>.</summary>
    private sealed record Oracle(bool IsValid, string? Type, bool HasSystemRole, long DecodableAudioBytes)
    {
        public static Oracle Parse(byte[] payload)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(payload);
            }
            catch (JsonException)
            {
                return new Oracle(false, null, false, 0);
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    return new Oracle(false, null, false, 0);
                }

                var types = root.EnumerateObject().Where(p => NameIs(p, "type")).ToList();
                if (types.Count != 1 || types[0].Value.ValueKind != JsonValueKind.String)
                {
                    return new Oracle(false, null, false, 0);
                }

                var type = TryGetString(types[0].Value);
                var system = root.EnumerateObject()
                    .Where(p => NameIs(p, "item") && p.Value.ValueKind == JsonValueKind.Object)
                    .SelectMany(item => item.Value.EnumerateObject())
                    .Any(p => NameIs(p, "role") && p.Value.ValueKind == JsonValueKind.String && TryGetString(p.Value) == "system");
                long audio = 0;
                foreach (var p in root.EnumerateObject().Where(p => NameIs(p, "audio") && p.Value.ValueKind == JsonValueKind.String))
                {
                    var text = TryGetString(p.Value);
                    var buffer = new byte[(text?.Length ?? 0) + 3];
                    if (text is not null && Convert.TryFromBase64String(text, buffer, out var decoded))
                    {
                        audio += decoded;
                    }
                }

                return new Oracle(true, type, system, audio);
            }
        }

        /// <summary>Leaf paths under any top-level <c>session</c> object that the allowed list does not cover.</summary>
        public static List<string> Violations(byte[] payload, HashSet<string> allowed, SessionShape shape)
        {
            var violations = new List<string>();
            using var document = JsonDocument.Parse(payload);
            foreach (var session in document.RootElement.EnumerateObject().Where(p => NameIs(p, "session") && p.Value.ValueKind == JsonValueKind.Object))
            {
                foreach (var p in session.Value.EnumerateObject())
                {
                    var name = TryGetName(p);
                    if (name == "type")
                    {
                        continue;
                    }

                    var path = name is not null && shape == SessionShape.Beta && SessionFieldPaths.BetaToGa.TryGetValue(name, out var ga) ? ga : name;
                    Walk(p.Value, path, allowed, violations);
                }
            }

            return violations;
        }

        public static bool HasLeaf(byte[] payload, SessionShape shape)
        {
            using var document = JsonDocument.Parse(payload);
            return document.RootElement.EnumerateObject()
                .Where(p => NameIs(p, "session") && p.Value.ValueKind == JsonValueKind.Object)
                .Any(s => s.Value.EnumerateObject().Any(p => !NameIs(p, "type")));
        }

        private static void Walk(JsonElement value, string? path, HashSet<string> allowed, List<string> violations)
        {
            if (path is null)
            {
                violations.Add("(undecodable name)");
                return;
            }

            var segments = path.Split('.');
            for (var i = 1; i <= segments.Length; i++)
            {
                if (allowed.Contains(string.Join('.', segments.Take(i))))
                {
                    return;
                }
            }

            if (value.ValueKind != JsonValueKind.Object || !allowed.Any(a => a.StartsWith(path + ".", StringComparison.Ordinal)))
            {
                violations.Add(path);
                return;
            }

            foreach (var p in value.EnumerateObject())
            {
                var name = TryGetName(p);
                Walk(p.Value, name is null ? null : path + "." + name, allowed, violations);
            }
        }

        private static bool NameIs(JsonProperty property, string name) => TryGetName(property) == name;

        private static string? TryGetName(JsonProperty property)
        {
            try
            {
                return property.Name;
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }

        private static string? TryGetString(JsonElement element)
        {
            try
            {
                return element.GetString();
            }
            catch (InvalidOperationException)
            {
                return null;
            }
        }
    }
}
