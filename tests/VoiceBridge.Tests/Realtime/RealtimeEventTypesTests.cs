using System.Text;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public class RealtimeEventTypesTests
{
    [Fact]
    public void Literals_MatchProtocolNames()
    {
        Assert.Equal("response.output_audio.delta", Encoding.UTF8.GetString(RealtimeEventTypes.OutputAudioDelta));
        Assert.Equal("response.audio.delta", Encoding.UTF8.GetString(RealtimeEventTypes.BetaAudioDelta));
        Assert.Equal("input_audio_buffer.append", Encoding.UTF8.GetString(RealtimeEventTypes.InputAudioBufferAppend));
        Assert.Equal("error", Encoding.UTF8.GetString(RealtimeEventTypes.Error));
        Assert.Equal("session.update", Encoding.UTF8.GetString(RealtimeEventTypes.SessionUpdate));
        Assert.Equal("conversation.item.create", Encoding.UTF8.GetString(RealtimeEventTypes.ConversationItemCreate));
    }

    [Theory]
    [InlineData("response.output_audio.delta", true)]
    [InlineData("response.audio.delta", true)]
    [InlineData("response.output_audio.done", false)]
    [InlineData("response.output_audio_transcript.delta", false)]
    [InlineData("response.audio_transcript.delta", false)]
    [InlineData("Response.Output_Audio.Delta", false)]
    [InlineData("response.output_audio.delta ", false)]
    [InlineData("", false)]
    public void IsAudioDelta_OnlyEitherExactSpelling(string type, bool expected)
    {
        Assert.Equal(expected, RealtimeEventTypes.IsAudioDelta(Encoding.UTF8.GetBytes(type)));
    }
}
