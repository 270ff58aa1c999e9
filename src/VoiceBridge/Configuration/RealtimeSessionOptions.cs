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

    /// <summary>GA paths under <c>session</c> (dotted) that a browser's session.update may set; <c>type</c> always passes.</summary>
    /// <remarks>
    /// Lists default to null and resolve to their defaults below: the configuration binder appends to a list that
    /// already has items, so an initialised list could never be replaced from appsettings or the environment.
    /// </remarks>
    public List<string>? ClientMayUpdate { get; set; }

    /// <summary>GA paths a token's <c>session</c> claim may set (the backend that signs tokens is trusted).</summary>
    public List<string>? TokenMayUpdate { get; set; }

    /// <summary>Whether a browser may add <c>role: "system"</c> items.</summary>
    public bool ClientMaySendSystemItems { get; set; }

    /// <summary><c>["*"]</c> (the default) = any event type; otherwise only the listed types are forwarded.</summary>
    public List<string>? AllowedClientEvents { get; set; }

    public static IReadOnlyList<string> DefaultClientMayUpdate { get; } =
    [
        "audio.output.voice",
        "audio.output.speed",
        "audio.input.turn_detection",
        "audio.input.transcription",
        "audio.input.noise_reduction",
    ];

    public static IReadOnlyList<string> DefaultTokenMayUpdate { get; } =
    [
        "instructions",
        "audio.output.voice",
        "audio.input.turn_detection",
        "audio.input.transcription",
        "tools",
        "tool_choice",
    ];

    public IReadOnlyList<string> EffectiveClientMayUpdate => ClientMayUpdate is { Count: > 0 } list ? list : DefaultClientMayUpdate;

    public IReadOnlyList<string> EffectiveTokenMayUpdate => TokenMayUpdate is { Count: > 0 } list ? list : DefaultTokenMayUpdate;

    public IReadOnlyList<string> EffectiveAllowedClientEvents => AllowedClientEvents is { Count: > 0 } list ? list : ["*"];
}
