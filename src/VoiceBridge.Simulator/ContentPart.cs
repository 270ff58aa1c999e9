using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>One content part of a message item. Audio bytes are kept for echo and <c>conversation.item.retrieve</c>.</summary>
internal sealed class ContentPart
{
    public ContentPart(string type)
    {
        Type = type;
    }

    /// <summary><c>input_text</c>, <c>input_audio</c>, <c>output_text</c>, <c>output_audio</c> (beta <c>text</c>, <c>audio</c>), or another type kept raw.</summary>
    public string Type { get; }

    public string? Text { get; set; }

    public string? Transcript { get; set; }

    public ReadOnlyMemory<byte>? Audio { get; set; }

    /// <summary>A part type the simulator does not interpret (for example <c>input_image</c>), written back as received.</summary>
    public JsonNode? Raw { get; init; }

    public bool IsAudio => Type is "input_audio" or "output_audio" or "audio";
}
