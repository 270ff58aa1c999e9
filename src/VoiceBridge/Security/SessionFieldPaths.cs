using System.Collections.Frozen;

namespace VoiceBridge.Security;

/// <summary>
/// Names of <c>session</c> fields as dotted GA paths, and the beta (flat) names they map to
/// (realtime-protocol.md §2.3). Beta names not listed here are the GA name unchanged
/// (<c>instructions</c>, <c>tools</c>, <c>tool_choice</c>, <c>temperature</c>…).
/// </summary>
internal static class SessionFieldPaths
{
    /// <summary><c>session.type</c>: always passes, is never a leaf that keeps an update alive.</summary>
    public const string Type = "type";

    public const string Audio = "audio";

    /// <summary>Beta top-level name → GA path.</summary>
    public static FrozenDictionary<string, string> BetaToGa { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["voice"] = "audio.output.voice",
        ["speed"] = "audio.output.speed",
        ["output_audio_format"] = "audio.output.format",
        ["input_audio_format"] = "audio.input.format",
        ["turn_detection"] = "audio.input.turn_detection",
        ["input_audio_transcription"] = "audio.input.transcription",
        ["input_audio_noise_reduction"] = "audio.input.noise_reduction",
        ["modalities"] = "output_modalities",
        ["max_response_output_tokens"] = "max_output_tokens",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>GA path → beta top-level name (the inverse of <see cref="BetaToGa"/>).</summary>
    public static FrozenDictionary<string, string> GaToBeta { get; } =
        BetaToGa.ToFrozenDictionary(pair => pair.Value, pair => pair.Key, StringComparer.Ordinal);

    /// <summary>For options validation: true when <see cref="Split"/> accepts <paramref name="path"/>.</summary>
    public static bool IsValidPath(string? path) =>
        !string.IsNullOrWhiteSpace(path)
        && path.Trim().Split('.').All(segment => segment.Length > 0 && segment.Trim().Length == segment.Length);

    /// <summary>
    /// Splits a configured path into its segments, trimming whitespace around the whole path.
    /// </summary>
    /// <exception cref="ArgumentException">The path is blank or has an empty segment (<c>"a..b"</c>, <c>".a"</c>).</exception>
    public static string[] Split(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!IsValidPath(path))
        {
            throw new ArgumentException($"'{path}' is not a dotted session field path such as 'audio.output.voice'.", nameof(path));
        }

        return path.Trim().Split('.');
    }
}
