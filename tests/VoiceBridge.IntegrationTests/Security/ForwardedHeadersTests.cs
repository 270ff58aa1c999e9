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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Upstream__Url"] = $"ws://127.0.0.1:{BridgeProcess.FreeLoopbackPort()}/v1/realtime",
            ["VoiceBridge__Upstream__ConnectAttempts"] = "1",
            ["VoiceBridge__Limits__ConnectsPerMinutePerIp"] = "1",
            ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
        });

        try
        {
            await bridge.WaitForHealthyAsync(ct);
        }
        catch (InvalidOperationException) when (bridge.HasExited)
        {
            // Refusing to start (one line naming the setting, exit code 2) is an acceptable fix.
            Assert.Equal(2, bridge.ExitCode);
            return;
        }

        var voice = new Uri($"ws://127.0.0.1:{bridge.BaseUri.Port}/voice");
        await using var first = await RawWebSocketClient.ConnectAsync(voice, ct, "X-Forwarded-For: 203.0.113.1");
        await using var second = await RawWebSocketClient.ConnectAsync(voice, ct, "X-Forwarded-For: 203.0.113.2");

        Assert.Equal(101, first.Status);
        // One upgrade a minute from this address: a second one, whatever it claims to come from, is refused.
        Assert.Equal(429, second.Status);
    }
}
