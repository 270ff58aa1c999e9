using System.Text.Json;

namespace VoiceBridge.IntegrationTests.ProcessLevel;

/// <summary>The newcomer path: Development with no key runs on the built-in simulator and says so.</summary>
public sealed class DevelopmentProcessTests
{
    [Fact]
    public async Task DevelopmentProcess_WithoutApiKey_RunsOnTheSimulatorAndSaysSoFirst()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = BridgeProcess.Start("Development");

        using var health = await bridge.WaitForHealthyAsync(timeout.Token);
        using (var body = JsonDocument.Parse(await health.Content.ReadAsStringAsync(timeout.Token)))
        {
            Assert.Equal("Simulator", body.RootElement.GetProperty("provider").GetString());
            Assert.True(body.RootElement.GetProperty("simulator").GetBoolean());
        }

        // The first log line is the start-up line, and it names the simulator.
        await bridge.WaitForStdoutAsync(_ => true, timeout.Token);
        var first = bridge.StdoutLines[0];
        Assert.Contains("simulator", first, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(bridge.StdoutLines.Take(3), line => line.Contains("no API key", StringComparison.OrdinalIgnoreCase));

        await bridge.SendSigtermAsync(timeout.Token);
        using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        shutdown.CancelAfter(BridgeProcess.ShutdownTimeout);
        Assert.Equal(0, await bridge.WaitForExitAsync(shutdown.Token));
    }
}
