using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using VoiceBridge.Diagnostics;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;
using VoiceBridge.WebSockets;

namespace VoiceBridge.IntegrationTests.Diagnostics;

public sealed class MetricsEndpointTests
{
    private const string AdminKey = "admin-7c1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d";

    private static readonly Dictionary<string, string?> ProtectedSettings = new()
    {
        ["VoiceBridge:Telemetry:Metrics"] = "Protected",
        ["VoiceBridge:Admin:ApiKey"] = AdminKey,
    };

    [Fact]
    public async Task Metrics_Open_Answers200InTheTextFormatWithEveryFamily()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));
        using var http = bridge.CreateHttpClient();

        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        var metrics = ScrapedMetrics.Parse(body);
        foreach (var family in (string[])["voicebridge_sessions_active", "voicebridge_frames_total", "voicebridge_bytes_total", "voicebridge_tokens_total",
            "voicebridge_queue_full_waits_total", "process_cpu_seconds_total", "process_start_time_seconds", "process_resident_memory_bytes", "dotnet_gc_collections_total", "dotnet_gc_pause_seconds_total", "dotnet_threadpool_queue_length"])
        {
            Assert.True(metrics.Has(family), $"{family} missing from:\n{body}");
        }

        // Open label sets (outcome, code) and histograms have no series before their first measurement, and the exporter
        // announces no family without one (the promtool test below sees them all after a conversation).
        foreach (var family in (string[])["voicebridge_sessions_total", "voicebridge_upstream_connect_seconds", "voicebridge_upstream_connect_failures_total",
            "voicebridge_first_audio_seconds", "voicebridge_forward_seconds", "voicebridge_errors_total"])
        {
            Assert.DoesNotContain($"# TYPE {family} ", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Metrics_ProcessFigures_ArePlausible()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));

        var metrics = await ScrapeAsync(bridge, ct);

        Assert.InRange(metrics.Value("process_resident_memory_bytes"), 10e6, 64e9);
        Assert.True(metrics.Value("process_cpu_seconds_total") > 0);
        var started = DateTimeOffset.FromUnixTimeMilliseconds((long)(metrics.Value("process_start_time_seconds") * 1000));
        Assert.InRange(started, DateTimeOffset.UtcNow.AddHours(-6), DateTimeOffset.UtcNow);
        Assert.True(metrics.Value("dotnet_gc_collections_total", ("generation", "0")) >= metrics.Value("dotnet_gc_collections_total", ("generation", "2")));
        Assert.True(metrics.Value("dotnet_gc_pause_seconds_total") >= 0);
        Assert.True(metrics.Value("dotnet_threadpool_queue_length") >= 0);
    }

    [Fact]
    public async Task Metrics_LiveSession_ShowsInSessionsActiveAndLeavesWithIt()
    {
        var ct = TestTimeout.Token(30);
        await using var session = await BridgedSession.StartAsync(ct);

        Assert.Equal(1, (await ScrapeAsync(session.Bridge, ct)).Value("voicebridge_sessions_active"));

        await session.Browser.Socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", ct);
        await session.Bridge.WaitForNoSessionsAsync(ct);
        Assert.Equal(0, (await ScrapeAsync(session.Bridge, ct)).Value("voicebridge_sessions_active"));
    }

    [Fact]
    public async Task Metrics_TheHostsBridgeMetrics_IsTheOneScraped()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));
        var metrics = bridge.Services.GetRequiredService<BridgeMetrics>();
        var before = await ScrapeAsync(bridge, ct);

        metrics.FrameForwarded(FrameDirection.Outbound, FrameKind.TextThenBinary, 4800);
        metrics.Error("invalid_event");
        metrics.SessionClosed("browser_closed");
        metrics.FirstAudio(TimeSpan.FromMilliseconds(640));
        var after = await ScrapeAsync(bridge, ct);

        Assert.Equal(0, before.Value("voicebridge_bytes_total", ("direction", "outbound")));
        Assert.Equal(4800, after.Value("voicebridge_bytes_total", ("direction", "outbound")));
        Assert.Equal(1, after.Value("voicebridge_frames_total", ("direction", "outbound"), ("kind", "binary")));
        Assert.Equal(1, after.Value("voicebridge_errors_total", ("code", "invalid_event")));
        Assert.Equal(1, after.Value("voicebridge_sessions_total", ("outcome", "browser_closed")));
        Assert.Equal(1, after.Value("voicebridge_first_audio_seconds_bucket", ("le", "0.75")));
        Assert.Equal(0, after.Value("voicebridge_first_audio_seconds_bucket", ("le", "0.5")));
    }

    [Fact]
    public async Task Metrics_Scrape_IsNeitherASessionNorAnInformationLogLine()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, (await ScrapeAsync(bridge, ct)).Value("voicebridge_sessions_active"));
        }

        Assert.Equal(0, bridge.Registry.Count);
        // The bridge's own categories (the framework's are at Warning in appsettings.json): Debug only.
        var own = bridge.Logs.Lines.Where(l => l.Split(' ')[1].StartsWith("VoiceBridge.", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(bridge.Logs.Lines, l => l.StartsWith("Information ", StringComparison.Ordinal) && l.Contains("/metrics", StringComparison.Ordinal));
        Assert.DoesNotContain(own, l => l.Contains("Session", StringComparison.Ordinal) && l.Contains("opened", StringComparison.Ordinal));
        Assert.Equal(3, own.Count(l => l.StartsWith("Debug VoiceBridge.Diagnostics.MetricsEndpoint [80]", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-key")]
    [InlineData("Bearer " + AdminKey + "x")]
    [InlineData("Basic " + AdminKey)]
    [InlineData(AdminKey)]
    [InlineData("Bearer ")]
    public async Task Metrics_ProtectedWithoutTheRightKey_Answers401WithAJsonError(string? authorization)
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"), ProtectedSettings);
        using var http = bridge.CreateHttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("unauthorized", JsonDocument.Parse(body).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        Assert.DoesNotContain("voicebridge_", body, StringComparison.Ordinal);
        Assert.DoesNotContain(AdminKey, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("bearer")]
    public async Task Metrics_ProtectedWithTheAdminKey_Answers200(string scheme)
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"), ProtectedSettings);
        using var http = bridge.CreateHttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(scheme, AdminKey);

        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, ScrapedMetrics.Parse(await response.Content.ReadAsStringAsync(ct)).Value("voicebridge_sessions_active"));
    }

    [Fact]
    public async Task Metrics_Off_Answers404AndHealthStillWorks()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"), new Dictionary<string, string?> { ["VoiceBridge:Telemetry:Metrics"] = "Off" });
        using var http = bridge.CreateHttpClient();

        using var metrics = await http.GetAsync(new Uri("/metrics", UriKind.Relative), ct);
        using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative), ct);

        Assert.Equal(HttpStatusCode.NotFound, metrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("Protected", null, "VoiceBridge:Admin:ApiKey")]
    [InlineData("Sometimes", null, "VoiceBridge:Telemetry:Metrics")]
    [InlineData("Open", "0", "VoiceBridge:Telemetry:ForwardSampleEvery")]
    [InlineData("Open", "otel-collector:4317", "VoiceBridge:Telemetry:OtlpEndpoint")]
    public async Task Startup_BadTelemetryConfiguration_ExitsTwoNamingTheKey(string metrics, string? other, string key)
    {
        var ct = TestTimeout.Token(60);
        var environment = new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Telemetry__Metrics"] = metrics,
        };
        if (other is not null)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = other;
        }

        await using var bridge = BridgeProcess.Start("Production", environment);
        var exitCode = await bridge.WaitForExitAsync(ct);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{bridge.Transcript}");
        var line = Assert.Single(bridge.StderrLines);
        Assert.StartsWith("VoiceBridge: invalid configuration: ", line, StringComparison.Ordinal);
        Assert.Contains(key, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bridge.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_FreshStart_PassesPromtoolCheckMetrics()
    {
        var ct = TestTimeout.Token(30);
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"));
        var scraped = await ScrapeAsync(bridge, ct);

        var (exitCode, output) = await Promtool.CheckMetricsAsync(scraped.Text, ct);

        Assert.True(exitCode == 0 && output.Trim().Length == 0, $"promtool exit {exitCode}: {output}\n{scraped.Text}");
        Assert.DoesNotContain("target_info", scraped.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("otel_scope_", scraped.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("resilience_polly", scraped.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_AfterASessionAndEveryInstrument_PassPromtoolCheckMetrics()
    {
        var ct = TestTimeout.Token(30);
        await using var session = await BridgedSession.StartAsync(ct);
        var metrics = session.Bridge.Services.GetRequiredService<BridgeMetrics>();
        metrics.FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960);
        metrics.UpstreamConnected(TimeSpan.FromMilliseconds(35));
        metrics.UpstreamConnectFailed("upstream_unavailable");
        metrics.FirstAudio(TimeSpan.FromMilliseconds(700));
        metrics.ForwardSample(FrameDirection.Outbound, metrics.StartForwardSample());
        metrics.QueueFullWait(FrameDirection.Outbound);
        metrics.Error("slow_consumer");
        metrics.SessionClosed("browser_closed");
        metrics.Tokens(new TokenUsage(100, 50, 80, 20, 0, 64, 10, 40));
        var scraped = await ScrapeAsync(session.Bridge, ct);

        var (exitCode, output) = await Promtool.CheckMetricsAsync(scraped.Text, ct);

        Assert.True(exitCode == 0 && output.Trim().Length == 0, $"promtool exit {exitCode}: {output}\n{scraped.Text}");
    }

    [Fact]
    public async Task Otlp_EndpointSet_PushesTheBridgeMetersOverHttp()
    {
        var ct = TestTimeout.Token(30);
        await using var collector = await FakeOtlpCollector.StartAsync();
        await using var bridge = new BridgeApp(new Uri("ws://127.0.0.1:9/v1/realtime"), new Dictionary<string, string?>
        {
            ["VoiceBridge:Telemetry:OtlpEndpoint"] = collector.Url.ToString(),
            ["VoiceBridge:Telemetry:OtlpProtocol"] = "HttpProtobuf",
            ["VoiceBridge:Telemetry:OtlpExportInterval"] = "00:00:00.200",
        });
        _ = bridge.BaseUri;

        bridge.Services.GetRequiredService<BridgeMetrics>().FrameForwarded(FrameDirection.Inbound, FrameKind.Binary, 960);
        var export = await collector.WaitForExportContainingAsync("voicebridge.frames", ct);

        Assert.Equal("/v1/metrics", export.Path);
        Assert.Equal("application/x-protobuf", export.ContentType);
        await collector.WaitForExportContainingAsync("dotnet.gc.collections", ct);
    }

    private static async Task<ScrapedMetrics> ScrapeAsync(BridgeApp bridge, CancellationToken cancellationToken)
    {
        using var http = bridge.CreateHttpClient();
        using var response = await http.GetAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return ScrapedMetrics.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }
}
