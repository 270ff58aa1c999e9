using System.Text;
using VoiceBridge.Diagnostics;

namespace VoiceBridge.Tests.Diagnostics;

public sealed class TokenUsageTests
{
    /// <summary>A GA <c>response.done</c> as the service sends it (output trimmed to one audio item).</summary>
    internal static readonly byte[] ResponseDone = Encoding.UTF8.GetBytes(
        """
        {
          "type": "response.done",
          "event_id": "event_CCXHxcMy86rrKhBLDdqCh",
          "response": {
            "object": "realtime.response",
            "id": "resp_CCXHw0UJld10EzIUXQCNh",
            "status": "completed",
            "status_details": null,
            "output": [
              {
                "id": "item_CCXHwGjjDUfOXbiySlK7i",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [
                  { "type": "output_audio", "transcript": "Sure — \"usage\" is below: {\"input_tokens\": 999}" }
                ]
              }
            ],
            "conversation_id": "conv_CCXHsurMKcaVxIZvaCI5m",
            "output_modalities": ["audio"],
            "max_output_tokens": "inf",
            "audio": { "output": { "format": { "type": "audio/pcm", "rate": 24000 }, "voice": "alloy" } },
            "usage": {
              "total_tokens": 1186,
              "input_tokens": 1044,
              "output_tokens": 142,
              "input_token_details": {
                "text_tokens": 1011,
                "audio_tokens": 33,
                "image_tokens": 0,
                "cached_tokens": 960,
                "cached_tokens_details": { "text_tokens": 960, "audio_tokens": 0, "image_tokens": 0 }
              },
              "output_token_details": { "text_tokens": 34, "audio_tokens": 108 }
            },
            "metadata": null
          }
        }
        """);

    [Fact]
    public void TryParse_GaResponseDone_ReadsEveryCount()
    {
        Assert.True(TokenUsage.TryParse(ResponseDone, out var usage));

        Assert.Equal(new TokenUsage(1044, 142, 1011, 33, 0, 960, 34, 108), usage);
    }

    [Fact]
    public void TryParse_UsageFirstAndCompact_ReadsIt()
    {
        var json = """{"response":{"usage":{"output_token_details":{"audio_tokens":5},"input_tokens":7,"output_tokens":5},"id":"r"},"type":"response.done"}"""u8;

        Assert.True(TokenUsage.TryParse(json, out var usage));

        Assert.Equal(new TokenUsage(7, 5, 0, 0, 0, 0, 0, 5), usage);
    }

    [Theory]
    [InlineData("""{"type":"response.done","response":{"id":"r","usage":null}}""")]
    [InlineData("""{"type":"response.done","response":{"id":"r"}}""")]
    [InlineData("""{"type":"response.done","usage":{"input_tokens":3}}""")]
    [InlineData("""{"type":"response.done","response":{"output":[{"usage":{"input_tokens":3}}]}}""")]
    [InlineData("""{"type":"response.done","response":{"usage":{"input_tokens":3""")]
    [InlineData("""not json""")]
    [InlineData("""[]""")]
    [InlineData("")]
    public void TryParse_NoUsableUsage_IsFalseAndDoesNotThrow(string json)
    {
        Assert.False(TokenUsage.TryParse(Encoding.UTF8.GetBytes(json), out var usage));
        Assert.Equal(default, usage);
    }

    [Fact]
    public void TryParse_NegativeOrNonNumericCounts_CountAsZero()
    {
        var json = """{"response":{"usage":{"input_tokens":-4,"output_tokens":"12","input_token_details":{"text_tokens":1.5}}}}"""u8;

        Assert.True(TokenUsage.TryParse(json, out var usage));

        Assert.Equal(default, usage);
    }
}
