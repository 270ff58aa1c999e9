using Microsoft.Extensions.Options;

namespace VoiceBridge.Configuration;

internal sealed class RealtimeSessionOptionsValidator : IValidateOptions<RealtimeSessionOptions>
{
    private static readonly string[] TurnDetectionValues = ["server_vad", "semantic_vad", "none"];

    public ValidateOptionsResult Validate(string? name, RealtimeSessionOptions options)
    {
        const string Prefix = RealtimeSessionOptions.SectionName;
        var failures = new List<string>();

        if (options.Instructions is null)
        {
            failures.Add($"{Prefix}:Instructions must not be null.");
        }

        if (string.IsNullOrWhiteSpace(options.Voice))
        {
            failures.Add($"{Prefix}:Voice must not be empty.");
        }

        if (!TurnDetectionValues.Contains(options.TurnDetection, StringComparer.Ordinal))
        {
            failures.Add($"{Prefix}:TurnDetection must be server_vad, semantic_vad or none (got '{options.TurnDetection}').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
