namespace VoiceBridge.Sessions;

/// <summary>Who spoke an entry of the <see cref="ConversationRecord"/>.</summary>
internal enum ConversationRole : byte
{
    User,
    Assistant,

    /// <summary>A server tool's call, with its output once it has one.</summary>
    Tool,
}

/// <summary>
/// One entry of the conversation as text. <see cref="ItemId"/> is the item's id on the upstream connection where it
/// was made (null for a typed message not yet acknowledged, or a tool call). <see cref="Text"/> is the user's typed
/// text or transcript, or the assistant's output transcript or text; null while unknown (an audio turn with no
/// transcription). A tool entry carries its call and, once it has one, its output.
/// </summary>
/// <param name="Confirmed">The upstream acknowledged the item (typed messages are recorded when sent, confirmed when added).</param>
internal sealed record ConversationEntry(
    ConversationRole Role,
    string? ItemId,
    string? Text,
    DateTimeOffset At,
    bool Confirmed = true,
    string? CallId = null,
    string? Name = null,
    string? Arguments = null,
    string? Output = null,
    string? Outcome = null,
    DateTimeOffset? OutputAt = null)
{
    /// <summary>A server tool call still waiting for its output.</summary>
    public bool IsPendingToolCall => Role == ConversationRole.Tool && Output is null;

    /// <summary>How many Realtime items this entry replays as: a message 1, a tool call 1 or 2 (its call and its output).</summary>
    public int ReplayItemCount => Role == ConversationRole.Tool && Output is not null ? 2 : 1;

    /// <summary>Whether a replay into a new connection includes it: acknowledged messages with text, and tool calls.</summary>
    public bool IsReplayable => Role == ConversationRole.Tool || (Confirmed && !string.IsNullOrEmpty(Text));
}
