using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VoiceBridge.Bench;

/// <summary>Plain text table on stdout, the same figures as JSON on request.</summary>
internal sealed class Report
{
    private readonly List<(string Section, string Figure, string Baseline, string Bridge, string Delta)> _rows = [];
    private readonly JsonObject _json = [];

    public List<string> Notes { get; } = [];

    public JsonObject Json => _json;

    public static string F(double? value, int decimals = 2) =>
        value is { } v && !double.IsNaN(v) ? v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "n/a";

    public static string Signed(double? value, int decimals = 2) =>
        value is { } v && !double.IsNaN(v) ? (v >= 0 ? "+" : string.Empty) + F(v, decimals) : "n/a";

    public void Row(string section, string figure, string baseline, string bridge, string delta = "") =>
        _rows.Add((section, figure, baseline, bridge, delta));

    public void Set(string path, JsonNode? value) => _json[path] = value;

    public string Render()
    {
        var text = new StringBuilder();
        foreach (var group in _rows.GroupBy(r => r.Section))
        {
            var rows = group.ToList();
            var w0 = Math.Max("figure".Length, rows.Max(r => r.Figure.Length));
            var w1 = Math.Max("baseline".Length, rows.Max(r => r.Baseline.Length));
            var w2 = Math.Max("bridge".Length, rows.Max(r => r.Bridge.Length));
            var w3 = Math.Max("bridge - baseline".Length, rows.Max(r => r.Delta.Length));
            text.AppendLine(CultureInfo.InvariantCulture, $"== {group.Key}");
            text.AppendLine(CultureInfo.InvariantCulture, $"{"figure".PadRight(w0)} | {"baseline".PadLeft(w1)} | {"bridge".PadLeft(w2)} | {"bridge - baseline".PadLeft(w3)}");
            text.AppendLine(CultureInfo.InvariantCulture, $"{new string('-', w0)}-+-{new string('-', w1)}-+-{new string('-', w2)}-+-{new string('-', w3)}");
            foreach (var row in rows)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"{row.Figure.PadRight(w0)} | {row.Baseline.PadLeft(w1)} | {row.Bridge.PadLeft(w2)} | {row.Delta.PadLeft(w3)}");
            }

            text.AppendLine();
        }

        foreach (var note in Notes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"note: {note}");
        }

        return text.ToString();
    }

    public async Task WriteJsonAsync(string path)
    {
        _json["notes"] = new JsonArray([.. Notes.Select(n => (JsonNode?)JsonValue.Create(n))]);
        await File.WriteAllTextAsync(path, _json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })).ConfigureAwait(false);
    }

    public void AddActive(ActiveRun baseline, ActiveRun bridge)
    {
        const string S = "active";
        var b = baseline.RoundTrip;
        var v = bridge.RoundTrip;
        Row(S, "sessions", baseline.Sessions.ToString(CultureInfo.InvariantCulture), bridge.Sessions.ToString(CultureInfo.InvariantCulture));
        Row(S, "measured window, s", F(baseline.WindowSeconds), F(bridge.WindowSeconds));
        Row(S, "round-trip frames timed", b.Count.ToString(CultureInfo.InvariantCulture), v.Count.ToString(CultureInfo.InvariantCulture));
        Row(S, "RTT p50, ms", F(b.P50, 3), F(v.P50, 3), Signed(v.P50 - b.P50, 3));
        Row(S, "RTT p99, ms", F(b.P99, 3), F(v.P99, 3), Signed(v.P99 - b.P99, 3));
        Row(S, "RTT p99.9, ms", F(b.P999, 3), F(v.P999, 3), Signed(v.P999 - b.P999, 3));
        Row(S, "RTT max, ms", F(b.Max, 3), F(v.Max, 3), Signed(v.Max - b.Max, 3));
        Row(S, "RTT mean, ms", F(b.Mean, 3), F(v.Mean, 3), Signed(v.Mean - b.Mean, 3));
        Row(S, "frames sent / echoed", $"{baseline.Sent} / {baseline.Received}", $"{bridge.Sent} / {bridge.Received}");
        Row(S, "frames lost (must be 0)", baseline.Lost.ToString(CultureInfo.InvariantCulture), bridge.Lost.ToString(CultureInfo.InvariantCulture));
        Row(S, "frames reordered (must be 0)", baseline.Reordered.ToString(CultureInfo.InvariantCulture), bridge.Reordered.ToString(CultureInfo.InvariantCulture));
        Row(S, "error events received", baseline.Errors.ToString(CultureInfo.InvariantCulture), bridge.Errors.ToString(CultureInfo.InvariantCulture));
        Row(S, "bench CPU (load + echo), % of a core", F(baseline.BenchCpuPercent, 1), F(bridge.BenchCpuPercent, 1));
        Row(S, "bridge CPU, % of a core", "-", F(bridge.BridgeCpuPercent, 1));
        Row(S, "bridge CPU s per 1000 round-trip frames", "-", F(bridge.BridgeCpuPer1000Frames, 4));
        var start = bridge.BridgeStart;
        var end = bridge.BridgeEnd;
        if (start is not null && end is not null && bridge.BridgeBefore is not null)
        {
            var frames = Math.Max(1, bridge.MeasuredFrames);
            var switches = (end.VoluntarySwitches - start.VoluntarySwitches, end.InvoluntarySwitches - start.InvoluntarySwitches);
            Row(S, "bridge context switches per frame (vol/invol)", "-", $"{F(switches.Item1 / (double)frames)} / {F(switches.Item2 / (double)frames)}");
            Row(S, "bridge RSS before sessions / during, MB", "-", $"{F(bridge.BridgeBefore.RssBytes / 1048576.0, 1)} / {F(end.RssBytes / 1048576.0, 1)}");
            Row(S, "bridge RSS per active session, KB", "-", F(bridge.RssPerSessionKb, 1));
            var m0 = start.Metrics;
            var m1 = end.Metrics;
            Row(S, "bridge GC collections gen0/gen1/gen2", "-", $"{m1.GcGen0 - m0.GcGen0:F0}/{m1.GcGen1 - m0.GcGen1:F0}/{m1.GcGen2 - m0.GcGen2:F0}");
            Row(S, "bridge GC pause total / max, ms", "-", $"{F((m1.GcPauseSeconds - m0.GcPauseSeconds) * 1000, 2)} / {F(m1.GcPauseMaxSeconds * 1000, 2)}");
            var perFrame = bridge.AllocatedBytesPerForwardedFrame;
            Row(S, "bridge bytes allocated per forwarded frame", "-", double.IsNaN(perFrame) ? "n/a (no counter)" : F(perFrame, 0));
            var workItems = bridge.WorkItemsPerRoundTrip;
            Row(S, "bridge thread-pool work items per round trip", "-", double.IsNaN(workItems) ? "n/a (no counter)" : F(workItems, 2));
            Row(S, "warm-up before the window, s", F(baseline.WarmedUpSeconds, 1), F(bridge.WarmedUpSeconds, 1));
            Row(S, "bridge methods JIT-compiled in the window", "-", double.IsNaN(bridge.JitMethodsInWindow) ? "n/a (no counter)" : F(bridge.JitMethodsInWindow, 0));
        }

        _json["active"] = new JsonObject
        {
            ["baseline"] = ToJson(baseline),
            ["bridge"] = ToJson(bridge),
            ["added_latency_ms"] = new JsonObject
            {
                ["p50"] = v.P50 - b.P50,
                ["p99"] = v.P99 - b.P99,
                ["p999"] = v.P999 - b.P999,
            },
        };
    }

    private static JsonObject ToJson(ActiveRun run)
    {
        var json = new JsonObject
        {
            ["sessions"] = run.Sessions,
            ["window_s"] = run.WindowSeconds,
            ["rtt_ms"] = new JsonObject { ["p50"] = run.RoundTrip.P50, ["p99"] = run.RoundTrip.P99, ["p999"] = run.RoundTrip.P999, ["max"] = run.RoundTrip.Max, ["mean"] = run.RoundTrip.Mean, ["count"] = run.RoundTrip.Count },
            ["sent"] = run.Sent,
            ["received"] = run.Received,
            ["lost"] = run.Lost,
            ["reordered"] = run.Reordered,
            ["errors"] = run.Errors,
            ["bench_cpu_s"] = run.BenchCpuSeconds,
        };
        if (run.BridgeCpuSeconds is { } cpu && run.BridgeStart is { } s && run.BridgeEnd is { } e)
        {
            json["bridge_cpu_s"] = cpu;
            json["bridge_cpu_s_per_1000_frames"] = run.BridgeCpuPer1000Frames;
            json["bridge_rss_before_bytes"] = run.BridgeBefore?.RssBytes;
            json["bridge_rss_during_bytes"] = e.RssBytes;
            json["bridge_rss_per_session_kb"] = run.RssPerSessionKb;
            json["bridge_gc_gen0"] = e.Metrics.GcGen0 - s.Metrics.GcGen0;
            json["bridge_gc_gen1"] = e.Metrics.GcGen1 - s.Metrics.GcGen1;
            json["bridge_gc_gen2"] = e.Metrics.GcGen2 - s.Metrics.GcGen2;
            json["bridge_gc_pause_s"] = e.Metrics.GcPauseSeconds - s.Metrics.GcPauseSeconds;
            json["bridge_gc_pause_max_s"] = double.IsNaN(e.Metrics.GcPauseMaxSeconds) ? null : e.Metrics.GcPauseMaxSeconds;
            json["bridge_allocated_bytes_per_forwarded_frame"] = double.IsNaN(run.AllocatedBytesPerForwardedFrame) ? null : run.AllocatedBytesPerForwardedFrame;
            json["bridge_work_items_per_round_trip"] = double.IsNaN(run.WorkItemsPerRoundTrip) ? null : run.WorkItemsPerRoundTrip;
            json["bridge_jit_methods_in_window"] = double.IsNaN(run.JitMethodsInWindow) ? null : run.JitMethodsInWindow;
        }

        json["warmup_s"] = run.WarmedUpSeconds;

        return json;
    }
}
