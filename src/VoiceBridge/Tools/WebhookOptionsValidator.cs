using Microsoft.Extensions.Options;

namespace VoiceBridge.Tools;

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        const string Prefix = WebhookOptions.SectionName;
        var failures = new List<string>();
        if (!string.IsNullOrEmpty(options.Secret) && !WebhookSigner.IsValidSecret(options.Secret))
        {
            // Never echo the value: it is a secret.
            failures.Add($"{Prefix}:Secret must be whsec_ followed by base64 (a Standard Webhooks secret).");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:Timeout must be positive.");
        }

        if (options.MaxResultBytes <= 0)
        {
            failures.Add($"{Prefix}:MaxResultBytes must be positive.");
        }

        if (options.MaxConcurrentCallsPerSession <= 0)
        {
            failures.Add($"{Prefix}:MaxConcurrentCallsPerSession must be positive.");
        }

        if (options.MaxTranscriptItems <= 0)
        {
            failures.Add($"{Prefix}:MaxTranscriptItems must be positive.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:RetryBaseDelay must not be negative.");
        }

        if (!string.IsNullOrEmpty(options.SessionEndedUrl) && !ToolCatalog.IsHttpUrl(options.SessionEndedUrl))
        {
            failures.Add($"{Prefix}:SessionEndedUrl must be an absolute http:// or https:// URL.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
