namespace VoiceBridge.Realtime;

/// <summary>
/// UTF-8 literals of the few Realtime event names the bridge inspects. Everything else is forwarded
/// without looking at it, so this list stays short on purpose.
/// </summary>
internal static class RealtimeEventTypes
{
    /// <summary>GA name of a server audio chunk (<c>delta</c> holds base64 PCM16).</summary>
    public static ReadOnlySpan<byte> OutputAudioDelta => "response.output_audio.delta"u8;

    /// <summary>Beta name of the same event; some deployments (Azure preview) still send it.</summary>
    public static ReadOnlySpan<byte> BetaAudioDelta => "response.audio.delta"u8;

    public static ReadOnlySpan<byte> InputAudioBufferAppend => "input_audio_buffer.append"u8;

    public static ReadOnlySpan<byte> Error => "error"u8;

    public static ReadOnlySpan<byte> ResponseCreate => "response.create"u8;

    public static ReadOnlySpan<byte> ResponseDone => "response.done"u8;

    public static ReadOnlySpan<byte> ResponseCreated => "response.created"u8;

    public static ReadOnlySpan<byte> InputAudioBufferCommitted => "input_audio_buffer.committed"u8;

    /// <summary>True for either spelling of the audio delta event (exact, case-sensitive match).</summary>
    public static bool IsAudioDelta(ReadOnlySpan<byte> type) =>
        type.SequenceEqual(OutputAudioDelta) || type.SequenceEqual(BetaAudioDelta);
}
