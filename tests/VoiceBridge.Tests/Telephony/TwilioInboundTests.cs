using System.Text;
using VoiceBridge.Telephony;

namespace VoiceBridge.Tests.Telephony;

public sealed class TwilioInboundTests
{
    [Fact]
    public void Parse_Media_LocatesThePayloadBytes()
    {
        var json = Encoding.UTF8.GetBytes("""{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"f39/fw=="},"streamSid":"MZ1"}""");
        var inbound = TwilioInbound.Parse(json);

        Assert.Equal(TwilioEvent.Media, inbound.Event);
        Assert.True(inbound.InboundTrack);
        Assert.Equal("f39/fw==", Encoding.UTF8.GetString(inbound.Payload(json)));
    }

    [Fact]
    public void Parse_EscapedPayload_Unescaped()
    {
        var json = Encoding.UTF8.GetBytes("""{"media":{"payload":"f39\/fw\u002B="},"event":"media"}""");
        Assert.Equal("f39/fw+=", Encoding.UTF8.GetString(TwilioInbound.Parse(json).Payload(json)));
    }

    [Theory]
    [InlineData("""{"event":"mark","mark":{"name":"vb-7"}}""", "Mark", "vb-7")]
    [InlineData("""{"event":"dtmf","dtmf":{"track":"inbound_track","digit":"#"}}""", "Dtmf", "#")]
    [InlineData("""{"event":"stop","stop":{"callSid":"CA1"}}""", "Stop", null)]
    [InlineData("""{"event":"connected","protocol":"Call"}""", "Connected", null)]
    [InlineData("""{"event":"media"}""", "Other", null)]
    [InlineData("""[1,2]""", "Other", null)]
    [InlineData("""{"event":""", "Other", null)]
    public void Parse_OtherEvents(string json, string expected, string? name)
    {
        var inbound = TwilioInbound.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(expected, inbound.Event.ToString());
        Assert.Equal(name, inbound.Name);
    }
}
