namespace VoiceBridge.IntegrationTests.ProcessLevel;

/// <summary>A misconfiguration stops start-up with exit code 2 and one line naming the key, never a stack trace.</summary>
public sealed class StartupConfigurationTests
{
    private const string Prefix = "VoiceBridge: invalid configuration: ";

    [Theory]
    [InlineData("VoiceBridge__WebSocket__QueueCapacity", "-1", "VoiceBridge:WebSocket:QueueCapacity")]
    [InlineData("VoiceBridge__WebSocket__InlineScheduling", "maybe", "VoiceBridge:WebSocket:InlineScheduling")]
    [InlineData("VoiceBridge__WebSocket__MaxMessageBytes", "0", "VoiceBridge:WebSocket:MaxMessageBytes")]
    [InlineData("VoiceBridge__WebSocket__KeepAliveInterval", "-00:00:01", "VoiceBridge:WebSocket:KeepAliveInterval")]
    [InlineData("VoiceBridge__WebSocket__SlowClientTimeout", "00:00:00", "VoiceBridge:WebSocket:SlowClientTimeout")]
    [InlineData("VoiceBridge__Upstream__Url", "not-a-url", "VoiceBridge:Upstream:Url")]
    [InlineData("VoiceBridge__Upstream__Url", "https://api.openai.com/v1/realtime", "VoiceBridge:Upstream:Url")]
    [InlineData("VoiceBridge__Upstream__ConnectTimeout", "banana", "VoiceBridge:Upstream:ConnectTimeout")]
    [InlineData("VoiceBridge__Upstream__ConnectAttempts", "0", "VoiceBridge:Upstream:ConnectAttempts")]
    [InlineData("VoiceBridge__Upstream__Provider", "Bogus", "VoiceBridge:Upstream:Provider")]
    [InlineData("VoiceBridge__Upstream__SessionShape", "Gamma", "VoiceBridge:Upstream:SessionShape")]
    [InlineData("VoiceBridge__Session__TurnDetection", "always", "VoiceBridge:Session:TurnDetection")]
    [InlineData("VoiceBridge__Session__Voice", " ", "VoiceBridge:Session:Voice")]
    [InlineData("VoiceBridge__Tools__0__Name", "bad name", "VoiceBridge:Tools:0:Name")]
    [InlineData("VoiceBridge__Webhooks__MaxConcurrentCallsPerSession", "0", "VoiceBridge:Webhooks:MaxConcurrentCallsPerSession")]
    public async Task Startup_InvalidValue_ExitsTwoWithOneLineNamingTheKey(string variable, string value, string key)
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            [variable] = value,
        });

        var exitCode = await bridge.WaitForExitAsync(timeout.Token);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{bridge.Transcript}");
        AssertOneConfigurationLine(bridge, key);
    }

    [Fact]
    public async Task Startup_ProductionWithoutApiKey_ExitsTwoNamingTheApiKey()
    {
        using var timeout = TestTimeout.Source(60);
        await using var bridge = BridgeProcess.Start("Production");

        var exitCode = await bridge.WaitForExitAsync(timeout.Token);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{bridge.Transcript}");
        AssertOneConfigurationLine(bridge, "VoiceBridge:Upstream:ApiKey");
    }

    [Fact]
    public async Task Startup_UrlCarryingCredentials_ErrorLineDoesNotPrintThem()
    {
        const string Secret = "sk-in-url-3e5d7f9b1a2c4e6f";
        using var timeout = TestTimeout.Source(60);
        await using var bridge = BridgeProcess.Start("Production", new Dictionary<string, string>
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["VoiceBridge__Upstream__Url"] = $"https://user:{Secret}@realtime.example/v1?api-key={Secret}",
        });

        var exitCode = await bridge.WaitForExitAsync(timeout.Token);

        Assert.True(exitCode == 2, $"exit code {exitCode}\n{bridge.Transcript}");
        AssertOneConfigurationLine(bridge, "VoiceBridge:Upstream:Url");
        Assert.DoesNotContain(Secret, bridge.Transcript, StringComparison.Ordinal);
    }

    private static void AssertOneConfigurationLine(BridgeProcess bridge, string key)
    {
        var line = Assert.Single(bridge.StderrLines);
        Assert.StartsWith(Prefix, line, StringComparison.Ordinal);
        Assert.Contains(key, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", bridge.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", bridge.Transcript, StringComparison.Ordinal);
        Assert.DoesNotContain(BridgeProcess.TestApiKey, bridge.Transcript, StringComparison.Ordinal);
    }
}
