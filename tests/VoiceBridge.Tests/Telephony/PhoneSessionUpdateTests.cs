using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Telephony;

public sealed class PhoneSessionUpdateTests
{
    [Fact]
    public void Build_MuLawGa_PcmuBothWaysWithoutRate()
    {
        var session = JsonDocument.Parse(SessionUpdateBuilder.Build(new RealtimeSessionOptions(), SessionShape.GA, muLaw: true)).RootElement.GetProperty("session");
        var audio = session.GetProperty("audio");

        Assert.Equal("""{"type":"audio/pcmu"}""", audio.GetProperty("input").GetProperty("format").GetRawText());
        Assert.Equal("""{"type":"audio/pcmu"}""", audio.GetProperty("output").GetProperty("format").GetRawText());
    }

    [Fact]
    public void Build_MuLawBeta_G711UlawBothWays()
    {
        var session = JsonDocument.Parse(SessionUpdateBuilder.Build(new RealtimeSessionOptions(), SessionShape.Beta, muLaw: true)).RootElement.GetProperty("session");

        Assert.Equal("g711_ulaw", session.GetProperty("input_audio_format").GetString());
        Assert.Equal("g711_ulaw", session.GetProperty("output_audio_format").GetString());
    }

    [Fact]
    public void Build_Default_StillPcm24k()
    {
        var session = JsonDocument.Parse(SessionUpdateBuilder.Build(new RealtimeSessionOptions(), SessionShape.GA)).RootElement.GetProperty("session");
        Assert.Equal("""{"type":"audio/pcm","rate":24000}""", session.GetProperty("audio").GetProperty("input").GetProperty("format").GetRawText());
    }
}
