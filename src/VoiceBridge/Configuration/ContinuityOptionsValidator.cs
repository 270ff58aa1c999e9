using Microsoft.Extensions.Options;

namespace VoiceBridge.Configuration;

internal sealed class ContinuityOptionsValidator : IValidateOptions<ContinuityOptions>
{
    /// <summary>Replay beyond this is a configuration mistake: the record keeps at most this many entries for it.</summary>
    public const int MaxReplayItems = 1000;

    public ValidateOptionsResult Validate(string? name, ContinuityOptions options)
    {
        const string Prefix = ContinuityOptions.SectionName;
        var failures = new List<string>();

        if (options.ResumeWindow < TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:ResumeWindow must not be negative (got {options.ResumeWindow}; 00:00:00 turns resume off).");
        }

        if (options.ResumeBufferBytes < 1)
        {
            failures.Add($"{Prefix}:ResumeBufferBytes must be positive (got {options.ResumeBufferBytes}).");
        }

        if (options.RolloverAfter <= TimeSpan.Zero)
        {
            failures.Add($"{Prefix}:RolloverAfter must be positive (got {options.RolloverAfter}).");
        }

        if (options.ReplayItems is < 0 or > MaxReplayItems)
        {
            failures.Add($"{Prefix}:ReplayItems must be between 0 and {MaxReplayItems} (got {options.ReplayItems}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
