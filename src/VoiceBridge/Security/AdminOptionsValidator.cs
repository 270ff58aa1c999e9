using Microsoft.Extensions.Options;

namespace VoiceBridge.Security;

/// <summary>Start-up rules for <c>VoiceBridge:Admin</c>. Messages never carry the key's value.</summary>
internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    /// <summary>The key guards minting credentials on an internet-facing server: refuse obviously guessable ones.</summary>
    public const int MinimumApiKeyLength = 16;

    public ValidateOptionsResult Validate(string? name, AdminOptions options)
    {
        const string Prefix = AdminOptions.SectionName;
        var key = options.ApiKey;
        if (string.IsNullOrEmpty(key))
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (key.Length < MinimumApiKeyLength)
        {
            failures.Add($"{Prefix}:ApiKey must be at least {MinimumApiKeyLength} characters (use a long random value), or unset to turn the management routes off.");
        }

        // A header value is trimmed and cannot carry control characters: such a key could never be presented.
        if (key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            failures.Add($"{Prefix}:ApiKey must not contain whitespace or control characters.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
