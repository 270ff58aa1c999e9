using VoiceBridge.Configuration;

namespace VoiceBridge.Tests.Configuration;

public sealed class OptionsValidatorTests
{
    private static readonly EffectiveProvider OpenAIWithKey = new(UpstreamProvider.OpenAI, "sk-x", false);

    [Fact]
    public void Defaults_AreValid()
    {
        Assert.True(new UpstreamOptionsValidator(OpenAIWithKey).Validate(null, new UpstreamOptions()).Succeeded);
        Assert.True(new RealtimeSessionOptionsValidator().Validate(null, new RealtimeSessionOptions()).Succeeded);
        Assert.True(new BridgeSocketOptionsValidator().Validate(null, new BridgeSocketOptions()).Succeeded);
    }

    [Theory]
    [InlineData("not-a-url", "VoiceBridge:Upstream:Url")]
    [InlineData("https://api.openai.com/v1/realtime", "VoiceBridge:Upstream:Url")]
    [InlineData("ws://localhost:9/v1/realtime", null)]
    public void UpstreamUrl_MustBeAbsoluteWsOrWss(string url, string? failingKey)
    {
        var result = new UpstreamOptionsValidator(OpenAIWithKey).Validate(null, new UpstreamOptions { Url = url });

        if (failingKey is null)
        {
            Assert.True(result.Succeeded);
        }
        else
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(failingKey, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void UpstreamUrl_WithCredentialsInIt_IsNotEchoedInTheError()
    {
        var result = new UpstreamOptionsValidator(OpenAIWithKey).Validate(null, new UpstreamOptions { Url = "https://user:pa55word@example.com/x?api-key=SECRET" });

        Assert.DoesNotContain(result.Failures!, f => f.Contains("pa55word", StringComparison.Ordinal) || f.Contains("SECRET", StringComparison.Ordinal));
    }

    [Fact]
    public void RealProviderWithoutKey_FailsNamingTheKey()
    {
        var result = new UpstreamOptionsValidator(new EffectiveProvider(UpstreamProvider.Azure, null, false)).Validate(null, new UpstreamOptions { Provider = UpstreamProvider.Azure });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Upstream:ApiKey", StringComparison.Ordinal));
    }

    [Fact]
    public void Simulator_NeedsNeitherKeyNorUrl()
    {
        var result = new UpstreamOptionsValidator(new EffectiveProvider(UpstreamProvider.Simulator, null, true)).Validate(null, new UpstreamOptions { Url = "" });

        Assert.True(result.Succeeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(21)]
    public void ConnectAttempts_OutOfRange_Fails(int attempts)
    {
        var result = new UpstreamOptionsValidator(OpenAIWithKey).Validate(null, new UpstreamOptions { ConnectAttempts = attempts });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Upstream:ConnectAttempts", StringComparison.Ordinal));
    }

    [Fact]
    public void ConnectTimeout_Zero_Fails()
    {
        var result = new UpstreamOptionsValidator(OpenAIWithKey).Validate(null, new UpstreamOptions { ConnectTimeout = TimeSpan.Zero });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Upstream:ConnectTimeout", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("server_vad", true)]
    [InlineData("semantic_vad", true)]
    [InlineData("none", true)]
    [InlineData("push_to_talk", false)]
    public void TurnDetection_MustBeAKnownValue(string value, bool valid)
    {
        var result = new RealtimeSessionOptionsValidator().Validate(null, new RealtimeSessionOptions { TurnDetection = value });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Session:TurnDetection", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("QueueCapacity")]
    [InlineData("MaxMessageBytes")]
    [InlineData("SlowClientTimeout")]
    [InlineData("KeepAliveInterval")]
    public void SocketLimits_NegativeValues_FailNamingTheKey(string key)
    {
        var options = new BridgeSocketOptions();
        switch (key)
        {
            case "QueueCapacity": options.QueueCapacity = -1; break;
            case "MaxMessageBytes": options.MaxMessageBytes = -1; break;
            case "SlowClientTimeout": options.SlowClientTimeout = TimeSpan.FromSeconds(-1); break;
            case "KeepAliveInterval": options.KeepAliveInterval = TimeSpan.FromSeconds(-1); break;
        }

        var result = new BridgeSocketOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith($"VoiceBridge:WebSocket:{key}", StringComparison.Ordinal));
    }

    [Fact]
    public void PolicyLists_MalformedEntries_FailNamingTheKey()
    {
        var result = new RealtimeSessionOptionsValidator().Validate(null, new RealtimeSessionOptions
        {
            ClientMayUpdate = ["audio..voice"],
            TokenMayUpdate = ["instructions", ".tools"],
            AllowedClientEvents = ["response create"],
        });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Session:ClientMayUpdate", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Session:TokenMayUpdate", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Session:AllowedClientEvents", StringComparison.Ordinal));
    }
}
