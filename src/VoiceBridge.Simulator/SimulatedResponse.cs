using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>The state of one response while it streams. Mutated only under the session's gate.</summary>
internal sealed class SimulatedResponse
{
    public SimulatedResponse(string id, ConversationItem item, ReadOnlyMemory<byte> audio, string[] transcriptDeltas)
    {
        Id = id;
        Item = item;
        Audio = audio;
        TranscriptDeltas = transcriptDeltas;
    }

    public string Id { get; }

    /// <summary>The assistant message item this response writes.</summary>
    public ConversationItem Item { get; }

    /// <summary>Everything this response would say; <see cref="AudioBytesSent"/> of it has gone out.</summary>
    public ReadOnlyMemory<byte> Audio { get; }

    /// <summary>The transcript (or text) split into the pieces sent as deltas.</summary>
    public string[] TranscriptDeltas { get; }

    public bool TextOnly { get; init; }

    /// <summary>False for an out-of-band response (<c>conversation:"none"</c>): its item never joins the conversation.</summary>
    public bool InConversation { get; init; } = true;

    public string? ConversationId { get; init; }

    public JsonNode? Voice { get; init; }

    public JsonNode? OutputFormat { get; init; }

    public JsonNode? MaxOutputTokens { get; init; }

    public JsonNode? Metadata { get; init; }

    public int InputAudioMs { get; init; }

    public int InputTextTokens { get; init; }

    public int AudioBytesSent { get; set; }

    public int DeltasSent { get; set; }

    public bool IsFinished { get; set; }

    public bool AllSent => DeltasSent >= TranscriptDeltas.Length && (TextOnly || AudioBytesSent >= Audio.Length);

    public string SentTranscript => string.Concat(TranscriptDeltas.Take(DeltasSent));

    public string? PreviousItemId { get; init; }
}
