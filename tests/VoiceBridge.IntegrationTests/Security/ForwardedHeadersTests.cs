using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;

namespace VoiceBridge.IntegrationTests.Security;

/// <summary>
/// Only <c>Limits:TrustedProxies</c> may make the bridge believe <c>X-Forwarded-For</c>. ASP.NET Core's own switch,
/// <c>ASPNETCORE_FORWARDEDHEADERS_ENABLED=true</c>, adds a forwarded-headers middleware that trusts every sender when
/// no proxy is listed; the bridge must refuse to start with it, or keep ignoring the header.
/// </summary>
public sealed class ForwardedHeadersTests
{
    [Fact]
    public async Task AspNetCoreForwardedHeadersSwitch_NoTrustedProxies_ClientCannotChooseItsAddress()
    {
        using var timeout = TestTimeout.Source(60);
        var ct = timeout.Token;
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Upstream__Url"] = $"ws://127.0.0.1:{BridgeProcess.FreeLoopbackPort()}/v1/realtime",
            ["VoiceBridge__Upstream__ConnectAttempts"] = "1",
            ["VoiceBridge__Limits__ConnectsPerMinutePerIp"] = "1",
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
        });

        // That switch would let any client choose the address per-IP limits count: the bridge refuses to start,
        // with one line naming the switch and the setting to use instead.
        var exitCode = await bridge.WaitForExitAsync(ct);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(bridge.StderrLines, l => !string.IsNullOrWhiteSpace(l));
        Assert.Contains("ASPNETCORE_FORWARDEDHEADERS_ENABLED", line, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Limits:TrustedProxies", line, StringComparison.Ordinal);
    }
}
