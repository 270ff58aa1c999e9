using VoiceBridge.Configuration;

namespace VoiceBridge.Tests.Configuration;

public sealed class EffectiveProviderTests
{
    private static string? NoEnvironment(string name) => null;

    [Fact]
    public void Development_NoKey_OpenAIFallsBackToTheSimulator()
    {
        var provider = EffectiveProvider.Resolve(new UpstreamOptions(), isDevelopment: true, NoEnvironment);

        Assert.Equal(UpstreamProvider.Simulator, provider.Provider);
        Assert.True(provider.FellBackToSimulator);
    }

    [Fact]
    public void Production_NoKey_StaysOpenAIWithoutAKey()
    {
        var provider = EffectiveProvider.Resolve(new UpstreamOptions(), isDevelopment: false, NoEnvironment);

        Assert.Equal(UpstreamProvider.OpenAI, provider.Provider);
        Assert.Null(provider.ApiKey);
    }

    [Fact]
    public void Development_AzureWithoutKey_DoesNotFallBack()
    {
        var provider = EffectiveProvider.Resolve(new UpstreamOptions { Provider = UpstreamProvider.Azure }, isDevelopment: true, NoEnvironment);

        Assert.Equal(UpstreamProvider.Azure, provider.Provider);
    }

    [Fact]
    public void ConfiguredKey_WinsOverTheEnvironmentVariable()
    {
        var provider = EffectiveProvider.Resolve(new UpstreamOptions { ApiKey = "sk-config" }, isDevelopment: true, _ => "sk-env");

        Assert.Equal("sk-config", provider.ApiKey);
        Assert.Equal(UpstreamProvider.OpenAI, provider.Provider);
    }

    [Fact]
    public void EnvironmentKey_IsUsedWhenNoneIsConfigured()
    {
        var provider = EffectiveProvider.Resolve(new UpstreamOptions { ApiKey = "  " }, isDevelopment: true, name => name == "OPENAI_API_KEY" ? "sk-env" : null);

        Assert.Equal("sk-env", provider.ApiKey);
        Assert.Equal(UpstreamProvider.OpenAI, provider.Provider);
    }

    [Fact]
    public void ToString_NeverShowsTheKey()
    {
        var provider = EffectiveProvider.Resolve(new UpstreamOptions { ApiKey = "sk-very-secret" }, isDevelopment: false, NoEnvironment);

        Assert.DoesNotContain("sk-very-secret", provider.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-very-secret", $"{provider}", StringComparison.Ordinal);
    }
}
