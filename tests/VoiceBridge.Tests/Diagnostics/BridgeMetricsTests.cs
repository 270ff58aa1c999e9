using System.Diagnostics;
using VoiceBridge.Diagnostics;
using VoiceBridge.WebSockets;
using Xunit.Abstractions;

namespace VoiceBridge.Tests.Diagnostics;

public sealed class BridgeMetricsTests
{
    private readonly ITestOutputHelper _output;

    public BridgeMetricsTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void Scrape_EveryInstrumentUsed_HasTheIssuesPrometheusNamesAndTypes()
    {
        using var harness = new MetricsHarness();
        UseEveryInstrument(harness.Metrics);

        var families = harness.Parse().Families.Values.Where(f => f.Name.StartsWith("voicebridge_", StringComparison.Ordinal)).ToDictionary(f => f.Name, f => f.Type);

        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["voicebridge_sessions_active"] = "gauge",
                ["voicebridge_sessions_total"] = "counter",
                ["voicebridge_frames_total"] = "counter",
                ["voicebridge_bytes_total"] = "counter",
                ["voicebridge_upstream_connect_seconds"] = "histogram",
                ["voicebridge_upstream_connect_failures_total"] = "counter",
                ["voicebridge_first_audio_seconds"] = "histogram",
                ["voicebridge_forward_seconds"] = "histogram",
                ["voicebridge_queue_full_waits_total"] = "counter",
                ["voicebridge_errors_total"] = "counter",
                ["voicebridge_tokens_total"] = "counter",
                ["voicebridge_upstream_reconnects_total"] = "counter",
                ["voicebridge_sessions_detached"] = "gauge",
                ["voicebridge_resumes_total"] = "counter",
                ["voicebridge_tool_calls_total"] = "counter",
                ["voicebridge_tool_call_duration_seconds"] = "histogram",
                ["voicebridge_webhook_deliveries_total"] = "counter",
            },
            families);
    }

    [Fact]
    public void Scrape_ProcessMetrics_HaveTheDocumentedNamesAndParseUnderTheFormatsRules()
    {
        using var harness = new MetricsHarness();
        UseEveryInstrument(harness.Metrics);

        var exposition = harness.Parse();

        Assert.True(exposition.Value("process_resident_memory_bytes") > 0);
        Assert.True(exposition.Value("process_cpu_seconds_total") > 0);
        Assert.True(exposition.Value("process_start_time_seconds") > 1_600_000_000);
        Assert.True(exposition.Value("dotnet_gc_pause_seconds_total") >= 0);
        Assert.True(exposition.Value("dotnet_threadpool_queue_length") >= 0);
        Assert.Equal(["0", "1", "2"], exposition.Samples.Where(s => s.Name == "dotnet_gc_collections_total").Select(s => s.Labels["generation"]));
    }

    [Fact]
    public void FrameForwarded_MovesFramesAndBytesByDirectionAndKind()
    {
        using var harness = new MetricsHarness();

        harness.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Text, 100);
        harness.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960);
        harness.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960);
        harness.Metrics.FrameForwarded(FrameDirection.Outbound, FrameKind.TextThenBinary, 5000);
        var exposition = harness.Parse();

        Assert.Equal(1, exposition.Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "text")));
        Assert.Equal(2, exposition.Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "binary")));
        Assert.Equal(1, exposition.Value("voicebridge_frames_total", ("direction", "outbound"), ("kind", "text")));
        Assert.Equal(1, exposition.Value("voicebridge_frames_total", ("direction", "outbound"), ("kind", "binary")));
        Assert.Equal(2020, exposition.Value("voicebridge_bytes_total", ("direction", "inbound")));
        Assert.Equal(5000, exposition.Value("voicebridge_bytes_total", ("direction", "outbound")));

        harness.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Text, 1);
        Assert.Equal(2, harness.Parse().Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "text")));
    }

    [Fact]
    public void CountersByCode_CountEachCodeApart()
    {
        using var harness = new MetricsHarness();

        harness.Metrics.SessionClosed("browser_closed");
        harness.Metrics.SessionClosed("browser_closed");
        harness.Metrics.SessionClosed("slow_consumer");
        harness.Metrics.UpstreamConnectFailed("upstream_auth_failed");
        harness.Metrics.Error("invalid_event");
        harness.Metrics.Error("invalid_event");
        harness.Metrics.Error("unknown_event");
        harness.Metrics.QueueFullWait(FrameDirection.Outbound);
        var exposition = harness.Parse();

        Assert.Equal(2, exposition.Value("voicebridge_sessions_total", ("outcome", "browser_closed")));
        Assert.Equal(1, exposition.Value("voicebridge_sessions_total", ("outcome", "slow_consumer")));
        Assert.Equal(1, exposition.Value("voicebridge_upstream_connect_failures_total", ("code", "upstream_auth_failed")));
        Assert.Equal(2, exposition.Value("voicebridge_errors_total", ("code", "invalid_event")));
        Assert.Equal(1, exposition.Value("voicebridge_errors_total", ("code", "unknown_event")));
        Assert.Equal(1, exposition.Value("voicebridge_queue_full_waits_total", ("direction", "outbound")));
        Assert.Equal(0, exposition.Value("voicebridge_queue_full_waits_total", ("direction", "inbound")));
    }

    [Fact]
    public void Histograms_AreCumulativeWithInfEqualToCountAndTheSum()
    {
        using var harness = new MetricsHarness();

        harness.Metrics.UpstreamConnected(TimeSpan.FromMilliseconds(3));
        harness.Metrics.UpstreamConnected(TimeSpan.FromMilliseconds(40));
        harness.Metrics.UpstreamConnected(TimeSpan.FromSeconds(30));
        harness.Metrics.FirstAudio(TimeSpan.FromMilliseconds(450));
        harness.Metrics.FirstAudio(TimeSpan.FromMilliseconds(500));
        var exposition = harness.Parse();

        Assert.Equal(1, exposition.Value("voicebridge_upstream_connect_seconds_bucket", ("le", "0.005")));
        Assert.Equal(1, exposition.Value("voicebridge_upstream_connect_seconds_bucket", ("le", "0.025")));
        Assert.Equal(2, exposition.Value("voicebridge_upstream_connect_seconds_bucket", ("le", "0.05")));
        Assert.Equal(2, exposition.Value("voicebridge_upstream_connect_seconds_bucket", ("le", "10")));
        Assert.Equal(3, exposition.Value("voicebridge_upstream_connect_seconds_bucket", ("le", "+Inf")));
        Assert.Equal(3, exposition.Value("voicebridge_upstream_connect_seconds_count"));
        Assert.Equal(30.043, exposition.Value("voicebridge_upstream_connect_seconds_sum"), 9);

        // A value on a boundary belongs to that bucket (le = less than or equal).
        Assert.Equal(0, exposition.Value("voicebridge_first_audio_seconds_bucket", ("le", "0.4")));
        Assert.Equal(2, exposition.Value("voicebridge_first_audio_seconds_bucket", ("le", "0.5")));
        Assert.Equal(
            BridgeMetrics.FirstAudioBuckets.Length + 1,
            exposition.Samples.Count(s => s.Name == "voicebridge_first_audio_seconds_bucket"));
    }

    [Fact]
    public void ForwardSample_EveryFrame_RecordsEachWithItsDirection()
    {
        using var harness = new MetricsHarness(forwardSampleEvery: 1);

        for (var i = 0; i < 5; i++)
        {
            var start = harness.Metrics.StartForwardSample();
            Assert.NotEqual(0, start);
            harness.Metrics.ForwardSample(i < 3 ? FrameDirection.Inbound : FrameDirection.Outbound, start);
        }

        var exposition = harness.Parse();
        Assert.Equal(3, exposition.Value("voicebridge_forward_seconds_count", ("direction", "inbound")));
        Assert.Equal(2, exposition.Value("voicebridge_forward_seconds_count", ("direction", "outbound")));
        Assert.Equal(3, exposition.Value("voicebridge_forward_seconds_bucket", ("direction", "inbound"), ("le", "+Inf")));
    }

    [Fact]
    public void ForwardSample_OneInEight_TimesOneFrameInEight()
    {
        using var harness = new MetricsHarness(forwardSampleEvery: 8);

        var sampled = 0;
        for (var i = 0; i < 800; i++)
        {
            var start = harness.Metrics.StartForwardSample();
            sampled += start == 0 ? 0 : 1;
            harness.Metrics.ForwardSample(FrameDirection.Inbound, start);
        }

        Assert.Equal(100, sampled);
        Assert.Equal(100, harness.Parse().Value("voicebridge_forward_seconds_count", ("direction", "inbound")));
    }

    [Fact]
    public void StartForwardSample_NobodyListening_TakesNoTimestamp()
    {
        using var harness = new MetricsHarness(forwardSampleEvery: 1, listen: false);

        Assert.Equal(0, harness.Metrics.StartForwardSample());
    }

    [Fact]
    public void Tokens_RecordsEachKindOfAResponseDone()
    {
        using var harness = new MetricsHarness();
        var usage = new TokenUsage(InputTokens: 130, OutputTokens: 75, InputTextTokens: 110, InputAudioTokens: 20, InputImageTokens: 0, InputCachedTokens: 64, OutputTextTokens: 15, OutputAudioTokens: 60);

        harness.Metrics.Tokens(usage);
        harness.Metrics.Tokens(usage);
        var exposition = harness.Parse();

        Assert.Equal(220, exposition.Value("voicebridge_tokens_total", ("kind", "input_text")));
        Assert.Equal(40, exposition.Value("voicebridge_tokens_total", ("kind", "input_audio")));
        Assert.Equal(128, exposition.Value("voicebridge_tokens_total", ("kind", "input_cached")));
        Assert.Equal(30, exposition.Value("voicebridge_tokens_total", ("kind", "output_text")));
        Assert.Equal(120, exposition.Value("voicebridge_tokens_total", ("kind", "output_audio")));
        Assert.Equal(0, exposition.ValueOrZero("voicebridge_tokens_total", ("kind", "input_image")));
        Assert.Equal(0, exposition.ValueOrZero("voicebridge_tokens_total", ("kind", "input_other")));
    }

    [Fact]
    public void Tokens_WithoutDetails_CountsTheTotalsAsOther()
    {
        using var harness = new MetricsHarness();

        harness.Metrics.Tokens(new TokenUsage(10, 20, 0, 0, 0, 0, 0, 0));
        var exposition = harness.Parse();

        Assert.Equal(10, exposition.Value("voicebridge_tokens_total", ("kind", "input_other")));
        Assert.Equal(20, exposition.Value("voicebridge_tokens_total", ("kind", "output_other")));
    }

    [Fact]
    public void FreshHost_ExposesTheFixedLabelSetsAtZero()
    {
        using var harness = new MetricsHarness();

        var exposition = harness.Parse();

        foreach (var direction in (string[])["inbound", "outbound"])
        {
            Assert.Equal(0, exposition.Value("voicebridge_frames_total", ("direction", direction), ("kind", "text")));
            Assert.Equal(0, exposition.Value("voicebridge_frames_total", ("direction", direction), ("kind", "binary")));
            Assert.Equal(0, exposition.Value("voicebridge_bytes_total", ("direction", direction)));
            Assert.Equal(0, exposition.Value("voicebridge_queue_full_waits_total", ("direction", direction)));
        }

        Assert.Equal(5, exposition.Samples.Count(s => s.Name == "voicebridge_tokens_total"));
        Assert.DoesNotContain(exposition.Samples, s => s.Name == "voicebridge_errors_total");
    }

    [Fact]
    public void SessionsActive_IsTheRegistrysCount()
    {
        using var harness = new MetricsHarness();

        Assert.Equal(0, harness.Parse().Value("voicebridge_sessions_active"));
    }

    [Fact]
    public void TwoHostsInOneProcess_DoNotSeeEachOthersMeasurements()
    {
        using var first = new MetricsHarness();
        using var second = new MetricsHarness();

        first.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Text, 10);
        second.Metrics.Error("invalid_event");

        Assert.Equal(1, first.Parse().Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "text")));
        Assert.DoesNotContain(first.Parse().Samples, s => s.Name == "voicebridge_errors_total");
        Assert.Equal(0, second.Parse().Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "text")));
    }

    [Fact]
    public void UnboundedTagValues_AreCappedIntoAnOverflowSeries()
    {
        // OpenTelemetry's default cardinality limit per metric: 2000 series, then one otel_metric_overflow series.
        const int MaxSeries = 2000;
        using var harness = new MetricsHarness();

        for (var i = 0; i < MaxSeries + 50; i++)
        {
            harness.Metrics.Error("code_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var errors = harness.Parse().Samples.Where(s => s.Name == "voicebridge_errors_total").ToList();
        Assert.Equal(MaxSeries + 1, errors.Count);
        Assert.Equal(50, Assert.Single(errors, s => s.Labels.ContainsKey("otel_metric_overflow")).Value);
    }

    [Fact]
    public void HotPathMethods_WithTheExporterAttached_AllocateNothing()
    {
        using var harness = new MetricsHarness(forwardSampleEvery: 4);
        var usage = new TokenUsage(130, 75, 110, 20, 0, 64, 15, 60);
        void Exercise()
        {
            harness.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960);
            harness.Metrics.FrameForwarded(FrameDirection.Outbound, FrameKind.TextThenBinary, 4800);
            harness.Metrics.FrameForwarded(FrameDirection.Outbound, FrameKind.Text, 120);
            harness.Metrics.ForwardSample(FrameDirection.Inbound, harness.Metrics.StartForwardSample());
            harness.Metrics.QueueFullWait(FrameDirection.Outbound);
            harness.Metrics.Error("invalid_event");
            harness.Metrics.SessionClosed("browser_closed");
            harness.Metrics.UpstreamConnected(TimeSpan.FromMilliseconds(42));
            harness.Metrics.UpstreamConnectFailed("upstream_unavailable");
            harness.Metrics.FirstAudio(TimeSpan.FromMilliseconds(420));
            harness.Metrics.Tokens(usage);
        }

        // Warm up: series are created (allocating) on first use, and the JIT settles.
        for (var i = 0; i < 2000; i++)
        {
            Exercise();
        }

        var rounds = 0;
        var allocated = AllocationProbe.FewestBytes(() =>
        {
            rounds++;
            for (var i = 0; i < 10_000; i++)
            {
                Exercise();
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(2000 + (rounds * 10_000), harness.Parse().Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "binary")));
    }

    [Fact]
    public void TokenUsageTryParse_AllocatesNothing()
    {
        var json = TokenUsageTests.ResponseDone;
        for (var i = 0; i < 100; i++)
        {
            Assert.True(TokenUsage.TryParse(json, out _));
        }

        Assert.Equal(0, AllocationProbe.FewestBytes(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                Assert.True(TokenUsage.TryParse(json, out _));
            }
        }));
    }

    /// <summary>
    /// Not an assertion on time: prints the cost of one FrameForwarded with OpenTelemetry listening, next to the
    /// floor (the same two Counter.Add calls delivered to a listener that does nothing), and without a listener.
    /// </summary>
    [Fact]
    public void FrameForwarded_Overhead_IsReported()
    {
        using var harness = new MetricsHarness();
        using var idle = new MetricsHarness(listen: false);
        using var floorFactory = new TestMeterFactory();
        var floorMeter = floorFactory.Create(new System.Diagnostics.Metrics.MeterOptions("Floor"));
        var frames = floorMeter.CreateCounter<long>("frames");
        var bytes = floorMeter.CreateCounter<long>("bytes");
        using var noop = new System.Diagnostics.Metrics.MeterListener { InstrumentPublished = (i, l) => l.EnableMeasurementEvents(i) };
        noop.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        noop.Start();
        KeyValuePair<string, object?> direction = new("direction", "inbound"), kind = new("kind", "binary");

        var collector = Measure(() => harness.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960));
        var floor = Measure(() =>
        {
            frames.Add(1, direction, kind);
            bytes.Add(960, direction);
        });
        var unobserved = Measure(() => idle.Metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960));

        _output.WriteLine($"FrameForwarded, OpenTelemetry listening: {collector:0.0} ns; same two Add calls to a no-op listener: {floor:0.0} ns; no listener: {unobserved:0.0} ns");
        Assert.True(harness.Parse().Value("voicebridge_frames_total", ("direction", "inbound"), ("kind", "binary")) > 0);

        static double Measure(Action call)
        {
            const int Iterations = 1_000_000;
            for (var i = 0; i < 100_000; i++)
            {
                call();
            }

            var best = double.MaxValue;
            for (var round = 0; round < 3; round++)
            {
                var started = Stopwatch.GetTimestamp();
                for (var i = 0; i < Iterations; i++)
                {
                    call();
                }

                best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalNanoseconds / Iterations);
            }

            return best;
        }
    }

    private static void UseEveryInstrument(BridgeMetrics metrics)
    {
        metrics.SessionClosed("browser_closed");
        metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960);
        metrics.UpstreamConnected(TimeSpan.FromMilliseconds(30));
        metrics.UpstreamConnectFailed("upstream_unavailable");
        metrics.FirstAudio(TimeSpan.FromMilliseconds(600));
        metrics.ForwardSample(FrameDirection.Outbound, metrics.StartForwardSample());
        metrics.QueueFullWait(FrameDirection.Outbound);
        metrics.Error("invalid_event");
        metrics.Tokens(new TokenUsage(1, 1, 1, 0, 0, 0, 0, 1));
        metrics.UpstreamReconnect("upstream_expired", "ok");
        metrics.SessionDetached();
        metrics.Resume("resumed");
        metrics.ToolCall("lookup_order", "ok", TimeSpan.FromMilliseconds(120));
        metrics.WebhookDelivery("tool", "ok");
    }
}
