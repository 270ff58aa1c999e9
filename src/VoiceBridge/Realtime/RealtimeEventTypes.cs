namespace VoiceBridge.Realtime;

/// <summary>
/// The one list of Realtime event names the bridge itself inspects or writes, as UTF-8 literals: the codec,
/// the client-event inspector, the session and the <c>session.update</c> writers all read their names here.
/// Everything else is forwarded without looking at it, so this list stays short on purpose. (The built-in
/// simulator is a separate service with its own names; <c>Session:AllowedClientEvents</c> is configuration
/// matched by <c>ClientEventTypeSet</c>, not a list of names the bridge knows.)
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

    /// <summary>The bridge's own first upstream frame, and a browser event that goes through the session policy.</summary>
    public static ReadOnlySpan<byte> SessionUpdate => "session.update"u8;

    /// <summary>A browser event refused when its item asks for the system role (unless allowed).</summary>
    public static ReadOnlySpan<byte> ConversationItemCreate => "conversation.item.create"u8;

    /// <summary>True for either spelling of the audio delta event (exact, case-sensitive match).</summary>
    public static bool IsAudioDelta(ReadOnlySpan<byte> type) =>
        type.SequenceEqual(OutputAudioDelta) || type.SequenceEqual(BetaAudioDelta);
}
