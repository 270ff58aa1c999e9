using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace VoiceBridge.IntegrationTests.ProcessLevel;

/// <summary>The published shape of the bridge in Production with a key: probes, JSON logs, no key in any output, clean SIGTERM.</summary>
public sealed class ProductionProcessTests
{
    private static BridgeProcess StartWithKey() => BridgeProcess.Start("Production", new Dictionary<string, string>
    {
        ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
        // A closed loopback port: nothing leaves the machine even if a session were opened.
        ["VoiceBridge__Upstream__Url"] = $"ws://127.0.0.1:{BridgeProcess.FreeLoopbackPort()}/v1/realtime",
    });

    [Fact]
    public async Task ProductionProcess_WithApiKey_ServesHealthzAndReadyz()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = StartWithKey();

        using var health = await bridge.WaitForHealthyAsync(timeout.Token);
        Assert.Equal("application/json", health.Content.Headers.ContentType?.MediaType);
        using (var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync(timeout.Token)))
        {
            Assert.Equal("ok", body.RootElement.GetProperty("status").GetString());
            Assert.Equal(0, body.RootElement.GetProperty("activeSessions").GetInt32());
            Assert.Equal("OpenAI", body.RootElement.GetProperty("provider").GetString());
        }

        using var ready = await bridge.GetAsync("/readyz", timeout.Token);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using (var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync(timeout.Token)))
        {
            Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task ProductionProcess_PlainGetVoice_Returns400WithJsonErrorCode()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = StartWithKey();
        (await bridge.WaitForHealthyAsync(timeout.Token)).Dispose();

        using var response = await bridge.GetAsync("/voice", timeout.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal("websocket_required", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task ProductionProcess_Sigterm_ExitsZeroWithinShutdownTimeout()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = StartWithKey();
        (await bridge.WaitForHealthyAsync(timeout.Token)).Dispose();

        await bridge.SendSigtermAsync(timeout.Token);
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        shutdown.CancelAfter(BridgeProcess.ShutdownTimeout);
        var exitCode = await bridge.WaitForExitAsync(shutdown.Token);

        Assert.True(exitCode == 0, $"exit code {exitCode}\n{bridge.Transcript}");
        Assert.Empty(bridge.StderrLines);
    }

    [Fact]
    public async Task ProductionProcess_Output_IsJsonLinesWithoutTheApiKey()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = StartWithKey();
        (await bridge.WaitForHealthyAsync(timeout.Token)).Dispose();

        // Requests whose query strings carry the key: hosting logs print full URLs, so they must stay quiet.
        (await bridge.GetAsync($"/readyz?access_token={BridgeProcess.TestApiKey}", timeout.Token)).Dispose();
        (await bridge.GetAsync($"/voice?api-key={BridgeProcess.TestApiKey}", timeout.Token)).Dispose();
        (await bridge.GetAsync($"/nowhere?key={BridgeProcess.TestApiKey}", timeout.Token)).Dispose();
        await bridge.WaitForStdoutAsync(line => line.Contains("/nowhere", StringComparison.Ordinal), timeout.Token);
        await bridge.SendSigtermAsync(timeout.Token);
        Assert.Equal(0, await bridge.WaitForExitAsync(timeout.Token));

        Assert.NotEmpty(bridge.StdoutLines);
        foreach (var line in bridge.StdoutLines)
        {
            using var document = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            Assert.True(document.RootElement.TryGetProperty("Level", out _), line);
        }

        Assert.Contains(bridge.StdoutLines, line => line.Contains("VoiceBridge starting", StringComparison.Ordinal));
        Assert.DoesNotContain(BridgeProcess.TestApiKey, bridge.Transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProductionProcess_PortTaken_ExitsOneWithAFatalJsonLogLine()
    {
        using var timeout = TestTimeout.Source(60);
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Upstream__Url"] = $"ws://127.0.0.1:{BridgeProcess.FreeLoopbackPort()}/v1/realtime",
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{((IPEndPoint)taken.LocalEndpoint).Port}",
        });

        var exitCode = await bridge.WaitForExitAsync(timeout.Token);

        // A failure that is no setting's fault: a log line in the usual shape, not a crash with a stack trace on stderr.
        Assert.True(exitCode == 1, $"exit code {exitCode}\n{bridge.Transcript}");
        Assert.Empty(bridge.StderrLines);
        var fatal = Assert.Single(bridge.StdoutLines, line => line.Contains("\"Level\":\"Fatal\"", StringComparison.Ordinal));
        using (var document = JsonDocument.Parse(fatal))
        {
            Assert.Equal("VoiceBridge failed to start", document.RootElement.GetProperty("RenderedMessage").GetString());
            Assert.Contains("address", document.RootElement.GetProperty("Exception").GetString(), StringComparison.OrdinalIgnoreCase);
        }

        Assert.All(bridge.StdoutLines, line => JsonDocument.Parse(line).Dispose());
        Assert.DoesNotContain(BridgeProcess.TestApiKey, bridge.Transcript, StringComparison.Ordinal);
    }
}
