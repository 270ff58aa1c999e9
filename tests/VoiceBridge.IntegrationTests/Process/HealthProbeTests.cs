namespace VoiceBridge.IntegrationTests.ProcessLevel;

/// <summary><c>dotnet VoiceBridge.dll --health-probe [url]</c>, the image's HEALTHCHECK.</summary>
public sealed class HealthProbeTests
{
    private static BridgeProcess StartWithKey() => BridgeProcess.Start("Production", new Dictionary<string, string>
    {
        ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
        ["VoiceBridge__Upstream__Url"] = $"ws://127.0.0.1:{BridgeProcess.FreeLoopbackPort()}/v1/realtime",
    });

    [Fact]
    public async Task HealthProbe_RunningBridge_ExitsZero()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = StartWithKey();
        (await bridge.WaitForHealthyAsync(timeout.Token)).Dispose();

        var probe = await BridgeProcess.RunToExitAsync(null, ["--health-probe", $"http://127.0.0.1:{bridge.Port}/healthz"], timeout.Token);

        Assert.True(probe.ExitCode == 0, $"exit code {probe.ExitCode}: {probe.Stdout} {probe.Stderr}");
        Assert.Contains(": 200", probe.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthProbe_NoUrl_ProbesThePortFromHttpPortsLikeTheImage()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = StartWithKey();
        (await bridge.WaitForHealthyAsync(timeout.Token)).Dispose();
        var environment = new Dictionary<string, string> { ["ASPNETCORE_HTTP_PORTS"] = bridge.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        var probe = await BridgeProcess.RunToExitAsync(environment, ["--health-probe"], timeout.Token);

        Assert.True(probe.ExitCode == 0, $"exit code {probe.ExitCode}: {probe.Stdout} {probe.Stderr}");
        Assert.Contains($"http://127.0.0.1:{bridge.Port}/healthz: 200", probe.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HealthProbe_ClosedPort_ExitsOne()
    {
        using var timeout = TestTimeout.Source(60);
        var closedPort = BridgeProcess.FreeLoopbackPort();

        var probe = await BridgeProcess.RunToExitAsync(null, ["--health-probe", $"http://127.0.0.1:{closedPort}/healthz"], timeout.Token);

        Assert.True(probe.ExitCode == 1, $"exit code {probe.ExitCode}: {probe.Stdout} {probe.Stderr}");
        Assert.DoesNotContain("   at ", probe.Stderr, StringComparison.Ordinal);
    }
}
