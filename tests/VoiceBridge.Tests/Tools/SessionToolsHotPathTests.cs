using VoiceBridge.Tools;

namespace VoiceBridge.Tests.Tools;

public sealed class SessionToolsHotPathTests
{
    private static readonly byte[] AudioDelta = """{"type":"response.output_audio.delta","event_id":"event_1","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"AAAAAAAA"}"""u8.ToArray();
    private static readonly byte[] TranscriptDelta = """{"type":"response.output_audio_transcript.delta","event_id":"event_2","response_id":"resp_1","item_id":"item_1","output_index":0,"content_index":0,"delta":"Hi"}"""u8.ToArray();
    private static readonly byte[] InputTranscript = """{"type":"conversation.item.input_audio_transcription.delta","event_id":"event_3","item_id":"item_1","content_index":0,"delta":"Hi"}"""u8.ToArray();

    [Fact]
    public void FramesThatCannotConcernATool_AreRecognisedByTypeAlone_WithoutAllocating()
    {
        Assert.False(SessionTools.IsToolEvent(AudioDelta, hasServerTools: true));
        Assert.False(SessionTools.IsToolEvent(TranscriptDelta, hasServerTools: true));
        Assert.False(SessionTools.IsToolEvent(InputTranscript, hasServerTools: true));
        Assert.False(SessionTools.IsToolEvent("""{"type":"session.updated","session":{}}"""u8, hasServerTools: false));

        Assert.Equal(0, AllocationProbe.FewestBytes(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                _ = SessionTools.IsToolEvent(AudioDelta, hasServerTools: true);
                _ = SessionTools.IsToolEvent(TranscriptDelta, hasServerTools: true);
                _ = SessionTools.IsToolEvent(InputTranscript, hasServerTools: true);
            }
        }));
    }

    [Theory]
    [InlineData("response.output_item.added")]
    [InlineData("response.function_call_arguments.delta")]
    [InlineData("response.done")]
    [InlineData("conversation.item.done")]
    [InlineData("response.mcp_call.completed")]
    [InlineData("mcp_list_tools.completed")]
    [InlineData("session.created")]
    [InlineData("error")]
    public void ToolRelatedTypes_AreInspected(string type) =>
        Assert.True(SessionTools.IsToolEvent(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"{{type}}"}"""), hasServerTools: true));
}
