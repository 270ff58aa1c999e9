using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;

namespace VoiceBridge.IntegrationTests.Security;

/// <summary>What the bridge says at start about who may connect.</summary>
public sealed class AuthStartupTests
{
    private const string Prefix = "VoiceBridge: invalid configuration: ";

    [Fact]
    public async Task Production_ModeNone_LogsOneLoudWarning()
    {
        await using var bridge = new BridgeApp(upstream: null);
        _ = bridge.BaseUri;

        var warning = Assert.Single(bridge.Logs.Lines, l => l.Contains("[50]", StringComparison.Ordinal));
        Assert.StartsWith("Warning", warning, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Auth:Mode", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_ModeToken_DoesNotWarn()
    {
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?>
        {
            ["VoiceBridge:Auth:Mode"] = "Token",
            ["VoiceBridge:Auth:SigningKey"] = Convert.ToBase64String(new byte[48]),
        });
        _ = bridge.BaseUri;

        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("[50]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Development_ModeNone_DoesNotWarn()
    {
        await using var bridge = new BridgeApp(upstream: null, environment: "Development");
        _ = bridge.BaseUri;

        Assert.DoesNotContain(bridge.Logs.Lines, l => l.Contains("[50]", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("VoiceBridge__Auth__Mode", "Token", "VoiceBridge:Auth:SigningKey")]
    [InlineData("VoiceBridge__Auth__SigningKey", "c2VjcmV0LXNpZ25pbmcta2V5LXRvby1zaG9ydA==", "VoiceBridge:Auth:SigningKey")]
    [InlineData("VoiceBridge__Auth__MaxTokenLifetime", "2.00:00:00", "VoiceBridge:Auth:MaxTokenLifetime")]
    [InlineData("VoiceBridge__Auth__ClockSkew", "00:10:00", "VoiceBridge:Auth:ClockSkew")]
    [InlineData("VoiceBridge__Auth__Mode", "Jwt", "VoiceBridge:Auth:Mode")]
    [InlineData("VoiceBridge__Admin__ApiKey", "secret-admin", "VoiceBridge:Admin:ApiKey")]
    public async Task Startup_InvalidAuthValue_ExitsTwoWithOneLineNamingTheKeyAndNotTheValue(string variable, string value, string key)
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            [variable] = value,
        });

        var exitCode = await bridge.WaitForExitAsync(timeout.Token);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{bridge.Transcript}");
        var line = Assert.Single(bridge.StderrLines);
        Assert.StartsWith(Prefix, line, StringComparison.Ordinal);
        Assert.Contains(key, line, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", bridge.Transcript, StringComparison.Ordinal);
        if (variable.EndsWith("Key", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(value, bridge.Transcript, StringComparison.Ordinal);
        }
    }
}
