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

        foreach (var (key, paths) in new[] { ("ClientMayUpdate", options.ClientMayUpdate), ("TokenMayUpdate", options.TokenMayUpdate) })
        {
            foreach (var path in paths ?? [])
            {
                if (!Security.SessionFieldPaths.IsValidPath(path))
                {
                    failures.Add($"{Prefix}:{key} entries must be dotted GA session paths like audio.output.voice (got '{path}').");
                }
            }
        }

        foreach (var type in options.AllowedClientEvents ?? [])
        {
            if (string.IsNullOrWhiteSpace(type) || type.Any(char.IsWhiteSpace))
            {
                failures.Add($"{Prefix}:AllowedClientEvents entries must be event types like input_audio_buffer.append, or * (got '{type}').");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
