using Microsoft.Extensions.Options;

namespace VoiceBridge.Configuration;

internal sealed class ContinuityOptionsValidator : IValidateOptions<ContinuityOptions>
{
    /// <summary>A detached session is a paid upstream call nobody listens to: an hour is already generous.</summary>
    public static readonly TimeSpan MaxResumeWindow = TimeSpan.FromHours(1);

    public const int MinResumeBufferBytes = 64 * 1024;

    /// <summary>Kept per detached session, so the ceiling bounds what a few vanished browsers can pin.</summary>
    public const int MaxResumeBufferBytes = 1024 * 1024 * 1024;

    public const int MaxReplayItems = 1000;

    public ValidateOptionsResult Validate(string? name, ContinuityOptions options)
    {
        const string Prefix = ContinuityOptions.SectionName;
        var failures = new List<string>();

        if (options.ResumeWindow < TimeSpan.Zero || options.ResumeWindow > MaxResumeWindow)
        {
            failures.Add($"{Prefix}:ResumeWindow must be between 00:00:00 (no resume) and {MaxResumeWindow} (got {options.ResumeWindow}).");
        }

        if (options.ResumeBufferBytes is < MinResumeBufferBytes or > MaxResumeBufferBytes)
        {
            failures.Add($"{Prefix}:ResumeBufferBytes must be between {MinResumeBufferBytes} and {MaxResumeBufferBytes} (got {options.ResumeBufferBytes}).");
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
