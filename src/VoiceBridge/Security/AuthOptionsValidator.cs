using Microsoft.Extensions.Options;

namespace VoiceBridge.Security;

/// <summary>
/// Start-up rules for <c>VoiceBridge:Auth</c>. Messages name the key and never carry the signing key's value.
/// </summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public static readonly TimeSpan MinTokenLifetime = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxTokenLifetimeCeiling = TimeSpan.FromHours(24);
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        const string Prefix = AuthOptions.SectionName;
        var failures = new List<string>();

        if (!Enum.IsDefined(options.Mode))
        {
            failures.Add($"{Prefix}:Mode must be None or Token.");
        }

        var keySet = !string.IsNullOrEmpty(options.SigningKey);
        if (keySet && !SigningKeyFormat.TryDecode(options.SigningKey, out _))
        {
            // Malformed is an error in any mode: a key that is set was meant to be used.
            failures.Add($"{Prefix}:SigningKey must be base64 of at least {SigningKeyFormat.MinimumBytes} bytes.");
        }
        else if (!keySet && options.Mode == AuthMode.Token)
        {
            failures.Add($"{Prefix}:SigningKey is required when {Prefix}:Mode is Token (base64 of at least {SigningKeyFormat.MinimumBytes} bytes).");
        }

        // At least a second: the minting route counts lifetimes in whole seconds.
        if (options.MaxTokenLifetime < MinTokenLifetime || options.MaxTokenLifetime > MaxTokenLifetimeCeiling)
        {
            failures.Add($"{Prefix}:MaxTokenLifetime must be between 00:00:01 and 1.00:00:00 (got {options.MaxTokenLifetime}).");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > MaxClockSkew)
        {
            failures.Add($"{Prefix}:ClockSkew must be between 00:00:00 and 00:05:00 (got {options.ClockSkew}).");
        }

        if (options.Issuer is { Length: > 0 } issuer && string.IsNullOrWhiteSpace(issuer))
        {
            failures.Add($"{Prefix}:Issuer must not be blank (leave it unset to accept any issuer).");
        }

        if (options.Audience is { Length: > 0 } audience && string.IsNullOrWhiteSpace(audience))
        {
            failures.Add($"{Prefix}:Audience must not be blank (leave it unset to accept any audience).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
