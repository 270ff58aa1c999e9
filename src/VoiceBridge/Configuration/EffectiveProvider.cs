namespace VoiceBridge.Configuration;

/// <summary>
/// The provider the bridge actually talks to, decided once at start-up. In Development with no API key the
/// OpenAI default falls back to the built-in simulator, so a newcomer can run the bridge with no key and no network.
/// </summary>
internal sealed record EffectiveProvider(UpstreamProvider Provider, string? ApiKey, bool FellBackToSimulator)
{
    public const string ApiKeyEnvironmentVariable = "OPENAI_API_KEY";

    public static EffectiveProvider Resolve(UpstreamOptions options, bool isDevelopment, Func<string, string?> environment)
    {
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? environment(ApiKeyEnvironmentVariable) : options.ApiKey;
        if (string.IsNullOrWhiteSpace(key))
        {
            key = null;
        }

        if (options.Provider == UpstreamProvider.Simulator)
        {
            return new(UpstreamProvider.Simulator, null, FellBackToSimulator: false);
        }

        if (key is null && isDevelopment && options.Provider == UpstreamProvider.OpenAI)
        {
            return new(UpstreamProvider.Simulator, null, FellBackToSimulator: true);
        }

        return new(options.Provider, key, FellBackToSimulator: false);
    }

    /// <summary>Never prints the key.</summary>
    public override string ToString() => $"{Provider}{(FellBackToSimulator ? " (no API key in Development)" : string.Empty)}";
}
