namespace VoiceBridge.Simulator;

/// <summary>An item of the session's conversation: a message, a function call or a function call output.</summary>
internal sealed class ConversationItem
{
    public ConversationItem(string id, string type)
    {
        Id = id;
        Type = type;
    }

    public string Id { get; }

    /// <summary><c>message</c>, <c>function_call</c> or <c>function_call_output</c>.</summary>
    public string Type { get; }

    public string? Role { get; init; }

    public string Status { get; set; } = "completed";

    public List<ContentPart> Content { get; } = [];

    public string? CallId { get; init; }

    public string? Name { get; init; }

    public string? Arguments { get; set; }

    public string? Output { get; init; }

    public ContentPart? AudioPart => Content.Find(p => p.IsAudio);
}
