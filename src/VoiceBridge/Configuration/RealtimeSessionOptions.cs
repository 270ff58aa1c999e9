namespace VoiceBridge.Configuration;

/// <summary>The server-owned session configuration injected as the first upstream frame (section <c>VoiceBridge:Session</c>).</summary>
internal sealed class RealtimeSessionOptions
{
    public const string SectionName = "VoiceBridge:Session";

    public const string DefaultInstructions =
        "You are a friendly, concise voice assistant. Answer in short spoken sentences.";

    public string Instructions { get; set; } = DefaultInstructions;

    public string Voice { get; set; } = "alloy";

    /// <summary><c>server_vad</c>, <c>semantic_vad</c> or <c>none</c>.</summary>
    public string TurnDetection { get; set; } = "server_vad";

    /// <summary>Input transcription model; empty turns transcription off.</summary>
    public string? TranscriptionModel { get; set; }
}
