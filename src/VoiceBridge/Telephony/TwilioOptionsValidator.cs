using Microsoft.Extensions.Options;

namespace VoiceBridge.Telephony;

internal sealed class TwilioOptionsValidator : IValidateOptions<TwilioOptions>
{
    public ValidateOptionsResult Validate(string? name, TwilioOptions options)
    {
        const string Prefix = TwilioOptions.SectionName;
        if (!options.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.AuthToken))
        {
            // The value itself is a secret: never part of the message.
            failures.Add($"{Prefix}:AuthToken is required when {Prefix}:Enabled is true (the Twilio account's auth token).");
        }

        if (!Uri.TryCreate(options.PublicUrl, UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http")
            || !string.IsNullOrEmpty(url.Query) || !string.IsNullOrEmpty(url.Fragment))
        {
            failures.Add($"{Prefix}:PublicUrl must be an absolute http(s) URL with no query, such as https://voice.example.com (got '{options.PublicUrl}').");
        }

        if (options.Voice is not null && string.IsNullOrWhiteSpace(options.Voice))
        {
            failures.Add($"{Prefix}:Voice must not be blank (leave it unset to use Session:Voice).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
