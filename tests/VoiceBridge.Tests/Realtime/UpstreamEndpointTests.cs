using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public class UpstreamEndpointTests
{
    private const string Key = "sk-test-SECRET-0123456789abcdef";

    private static UpstreamOptions Options(UpstreamProvider provider, string url, string model = "gpt-realtime") =>
        new() { Provider = provider, Url = url, Model = model };

    [Fact]
    public void Create_OpenAIDefaults_AddsModelAndBearer()
    {
        var endpoint = UpstreamEndpoint.Create(new UpstreamOptions(), Key, null);

        Assert.Equal("wss://api.openai.com/v1/realtime?model=gpt-realtime", endpoint.Uri.AbsoluteUri);
        var header = Assert.Single(endpoint.Headers);
        Assert.Equal("Authorization", header.Key);
        Assert.Equal("Bearer " + Key, header.Value);
    }

    [Fact]
    public void Create_Azure_AddsModelAndApiKeyHeader()
    {
        var endpoint = UpstreamEndpoint.Create(
            Options(UpstreamProvider.Azure, "wss://my-res.openai.azure.com/openai/v1/realtime", "my-deployment"), Key, null);

        Assert.Equal("wss://my-res.openai.azure.com/openai/v1/realtime?model=my-deployment", endpoint.Uri.AbsoluteUri);
        var header = Assert.Single(endpoint.Headers);
        Assert.Equal("api-key", header.Key);
        Assert.Equal(Key, header.Value);
    }

    [Fact]
    public void Create_Simulator_UsesSimulatorUriAndNoHeaders()
    {
        var endpoint = UpstreamEndpoint.Create(
            Options(UpstreamProvider.Simulator, "wss://api.openai.com/v1/realtime"), Key, new Uri("ws://127.0.0.1:5123/v1/realtime"));

        Assert.Equal("ws://127.0.0.1:5123/v1/realtime?model=gpt-realtime", endpoint.Uri.AbsoluteUri);
        Assert.Empty(endpoint.Headers);
    }

    [Fact]
    public void Create_SimulatorWithoutUri_Throws()
    {
        Assert.Throws<ArgumentException>(() => UpstreamEndpoint.Create(Options(UpstreamProvider.Simulator, "ws://x/"), null, null));
    }

    [Theory]
    [InlineData("OpenAI")]
    [InlineData("Azure")]
    [InlineData("Simulator")]
    public void Create_NeverSendsOpenAIBetaHeader(string providerName)
    {
        var provider = Enum.Parse<UpstreamProvider>(providerName);
        var endpoint = UpstreamEndpoint.Create(Options(provider, "wss://api.openai.com/v1/realtime"), Key, new Uri("ws://localhost:1/v1/realtime"));
        Assert.DoesNotContain(endpoint.Headers, h => h.Key.Equals("OpenAI-Beta", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("OpenAI", null)]
    [InlineData("OpenAI", "")]
    [InlineData("OpenAI", "  ")]
    [InlineData("Azure", null)]
    [InlineData("Azure", "")]
    public void Create_RealProviderWithoutKey_Throws(string providerName, string? key)
    {
        var provider = Enum.Parse<UpstreamProvider>(providerName);
        Assert.Throws<ArgumentException>(() => UpstreamEndpoint.Create(Options(provider, "wss://api.openai.com/v1/realtime"), key, null));
    }

    [Theory]
    [InlineData("wss://api.openai.com/v1/realtime?model=gpt-realtime-mini", "wss://api.openai.com/v1/realtime?model=gpt-realtime-mini")]
    [InlineData("wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep1", "wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep1")]
    [InlineData("wss://r.openai.azure.com/openai/realtime?deployment=dep1&api-version=2025-04-01-preview", "wss://r.openai.azure.com/openai/realtime?deployment=dep1&api-version=2025-04-01-preview")]
    [InlineData("wss://api.openai.com/v1/realtime?foo=1&model=m2&bar=2", "wss://api.openai.com/v1/realtime?foo=1&model=m2&bar=2")]
    [InlineData("wss://api.openai.com/v1/realtime?intent=transcription", "wss://api.openai.com/v1/realtime?intent=transcription")]
    [InlineData("wss://api.openai.com/v1/realtime?call_id=rtc_1", "wss://api.openai.com/v1/realtime?call_id=rtc_1")]
    [InlineData("wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview", "wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&model=gpt-realtime")]
    [InlineData("wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&x=1", "wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&x=1&model=gpt-realtime")]
    [InlineData("wss://api.openai.com/v1/realtime?", "wss://api.openai.com/v1/realtime?model=gpt-realtime")]
    [InlineData("wss://api.openai.com/v1/realtime?x=1&", "wss://api.openai.com/v1/realtime?x=1&model=gpt-realtime")]
    [InlineData("wss://api.openai.com/v1/realtime?models=a&mymodel=b", "wss://api.openai.com/v1/realtime?models=a&mymodel=b&model=gpt-realtime")]
    [InlineData("ws://localhost:8081/v1/realtime", "ws://localhost:8081/v1/realtime?model=gpt-realtime")]
    [InlineData("wss://example.com:8443/v1/realtime", "wss://example.com:8443/v1/realtime?model=gpt-realtime")]
    public void Create_ModelRule(string url, string expected)
    {
        var endpoint = UpstreamEndpoint.Create(Options(UpstreamProvider.OpenAI, url), Key, null);
        Assert.Equal(expected, endpoint.Uri.AbsoluteUri);
    }

    [Fact]
    public void Create_ModelIsUrlEscaped()
    {
        var endpoint = UpstreamEndpoint.Create(Options(UpstreamProvider.OpenAI, "wss://api.openai.com/v1/realtime", "my model&x=1/é"), Key, null);
        Assert.Equal("wss://api.openai.com/v1/realtime?model=my%20model%26x%3D1%2F%C3%A9", endpoint.Uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Create_NoModelConfigured_LeavesUrlAlone(string model)
    {
        var endpoint = UpstreamEndpoint.Create(Options(UpstreamProvider.OpenAI, "wss://api.openai.com/v1/realtime", model), Key, null);
        Assert.Equal("wss://api.openai.com/v1/realtime", endpoint.Uri.AbsoluteUri);
    }

    [Theory]
    [InlineData("https://api.openai.com/v1/realtime")]
    [InlineData("http://localhost/v1/realtime")]
    [InlineData("/v1/realtime")]
    [InlineData("not a url")]
    [InlineData("")]
    public void Create_NotAWebSocketUrl_Throws(string url)
    {
        Assert.Throws<ArgumentException>(() => UpstreamEndpoint.Create(Options(UpstreamProvider.OpenAI, url), Key, null));
    }

    [Fact]
    public void Create_ErrorMessages_NeverContainTheKey()
    {
        var ex = Assert.Throws<ArgumentException>(() => UpstreamEndpoint.Create(Options(UpstreamProvider.OpenAI, "https://x?api-key=" + Key), Key, null));
        Assert.DoesNotContain(Key, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("OpenAI")]
    [InlineData("Azure")]
    public void ToString_NeverRevealsHeaderValues(string providerName)
    {
        var provider = Enum.Parse<UpstreamProvider>(providerName);
        var endpoint = UpstreamEndpoint.Create(Options(provider, "wss://api.openai.com/v1/realtime"), Key, null);

        var printed = endpoint.ToString();

        Assert.DoesNotContain(Key, printed, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("Bearer", printed, StringComparison.Ordinal);
        Assert.Contains("wss://api.openai.com/v1/realtime?model=gpt-realtime", printed, StringComparison.Ordinal);
        Assert.Contains(provider == UpstreamProvider.OpenAI ? "Authorization: ***" : "api-key: ***", printed, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, $"{endpoint}", StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_KeyInQueryString_IsRedacted()
    {
        var endpoint = UpstreamEndpoint.Create(
            Options(UpstreamProvider.Azure, "wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=dep1&api-key=" + Key), Key, null);

        var printed = endpoint.ToString();

        Assert.DoesNotContain(Key, printed, StringComparison.Ordinal);
        Assert.Contains("api-version=2025-04-01-preview&deployment=dep1&api-key=***", printed, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_Simulator_ShowsEmptyHeaders()
    {
        var endpoint = UpstreamEndpoint.Create(Options(UpstreamProvider.Simulator, "ws://x/"), null, new Uri("ws://127.0.0.1:9/v1/realtime"));
        Assert.Equal("UpstreamEndpoint { Uri = ws://127.0.0.1:9/v1/realtime?model=gpt-realtime, Headers = [] }", endpoint.ToString());
    }
}
