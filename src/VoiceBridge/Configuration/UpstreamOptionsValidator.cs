using Microsoft.Extensions.Options;

namespace VoiceBridge.Configuration;

internal sealed class UpstreamOptionsValidator : IValidateOptions<UpstreamOptions>
{
    private readonly EffectiveProvider _provider;

    public UpstreamOptionsValidator(EffectiveProvider provider)
    {
        _provider = provider;
    }

    public ValidateOptionsResult Validate(string? name, UpstreamOptions options)
    {
        const string Prefix = UpstreamOptions.SectionName;
        var failures = new List<string>();

        if (!Enum.IsDefined(options.Provider))
        {
            failures.Add($"{Prefix}:Provider must be OpenAI, Azure or Simulator.");
        }

        if (!Enum.IsDefined(options.SessionShape))
        {
            failures.Add($"{Prefix}:SessionShape must be GA or Beta.");
        }

        if (_provider.Provider != UpstreamProvider.Simulator)
        {
            if (!Uri.TryCreate(options.Url, UriKind.Absolute, out var uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
            {
                failures.Add($"{Prefix}:Url must be an absolute ws:// or wss:// URL (got '{Redact(options.Url)}').");
            }

            if (_provider.ApiKey is null)
            {
                failures.Add($"{Prefix}:ApiKey is required for the {options.Provider} provider (or set the {EffectiveProvider.ApiKeyEnvironmentVariable} environment variable).");
            }
        }

        if (string.IsNullOrWhiteSpace(options.Model))
        {
            failures.Add($"{Prefix}:Model must not be empty.");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:ConnectTimeout must be positive (got {options.ConnectTimeout}).");
        }

        if (options.ConnectAttempts is < 1 or > 20)
        {
            failures.Add($"{Prefix}:ConnectAttempts must be between 1 and 20 (got {options.ConnectAttempts}).");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero || options.RetryBaseDelay > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{Prefix}:RetryBaseDelay must be between 0 and 1 minute (got {options.RetryBaseDelay}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>A URL may carry credentials (user info or query): show only its scheme and host.</summary>
    private static string Redact(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return string.Empty;
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host}/…" : (url.Length > 40 ? url[..40] + "…" : url);
    }
}
