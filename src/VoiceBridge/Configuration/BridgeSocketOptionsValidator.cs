using Microsoft.Extensions.Options;

namespace VoiceBridge.Configuration;

internal sealed class BridgeSocketOptionsValidator : IValidateOptions<BridgeSocketOptions>
{
    /// <summary>One message may not exceed what a single pooled array can hold comfortably.</summary>
    public const int MaxMessageBytesCeiling = 256 * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, BridgeSocketOptions options)
    {
        const string Prefix = BridgeSocketOptions.SectionName;
        var failures = new List<string>();

        if (options.KeepAliveInterval < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:KeepAliveInterval must not be negative (got {options.KeepAliveInterval}; 00:00:00 turns pings off).");
        }

        if (options.KeepAliveTimeout < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:KeepAliveTimeout must not be negative (got {options.KeepAliveTimeout}).");
        }

        if (options.MaxMessageBytes is < 1024 or > MaxMessageBytesCeiling)
        {
            failures.Add($"{Prefix}:MaxMessageBytes must be between 1024 and {MaxMessageBytesCeiling} (got {options.MaxMessageBytes}).");
        }

        if (options.QueueCapacity is < 1 or > 65536)
        {
            failures.Add($"{Prefix}:QueueCapacity must be between 1 and 65536 (got {options.QueueCapacity}).");
        }

        if (options.SlowClientTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:SlowClientTimeout must be positive (got {options.SlowClientTimeout}).");
        }

        if (options.CloseTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:CloseTimeout must be positive (got {options.CloseTimeout}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
