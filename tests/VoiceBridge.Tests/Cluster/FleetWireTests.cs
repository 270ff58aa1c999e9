using System.Text;
using VoiceBridge.Cluster;

namespace VoiceBridge.Tests.Cluster;

public sealed class FleetWireTests
{
    private const string Secret = "cluster-secret-5b2d4f6a8c0e";
    private static readonly DateTimeOffset At = new(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);
    private static readonly FleetCommand End = new("id1", "node-a", "node-b", "end", "vb_1", Reason: "fraud", Event: [1, 2, 3]);

    [Fact]
    public void Decode_WhatWasEncoded_AcceptedWithEveryField()
    {
        var message = FleetWire.Encode(End, Secret, FleetWire.CommandPurpose, At);

        Assert.Equal(FleetMessageVerdict.Accepted, FleetWire.Decode<FleetCommand>(message, Secret, FleetWire.CommandPurpose, At.AddSeconds(29), out var decoded));
        Assert.Equal(End.Id, decoded!.Id);
        Assert.Equal(End.To, decoded.To);
        Assert.Equal(End.Reason, decoded.Reason);
        Assert.Equal(End.Event, decoded.Event);
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(message), StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NoSignature_Unsigned()
    {
        Assert.Equal(FleetMessageVerdict.Unsigned, FleetWire.Decode<FleetCommand>("""{"id":"x"}"""u8, Secret, FleetWire.CommandPurpose, At, out var decoded));
        Assert.Null(decoded);
        Assert.Equal(FleetMessageVerdict.Unsigned, FleetWire.Decode<FleetCommand>(" {}"u8, Secret, FleetWire.CommandPurpose, At, out _));
    }

    [Theory]
    [InlineData("other-secret", FleetWire.CommandPurpose)]
    [InlineData(Secret, FleetWire.ReplyPurpose)]
    public void Decode_OtherSecretOrPurpose_BadSignature(string secret, string purpose)
    {
        var message = FleetWire.Encode(End, secret, purpose, At);

        Assert.Equal(FleetMessageVerdict.BadSignature, FleetWire.Decode<FleetCommand>(message, Secret, FleetWire.CommandPurpose, At, out _));
    }

    [Fact]
    public void Decode_PayloadChangedAfterSigning_BadSignature()
    {
        var message = Encoding.UTF8.GetString(FleetWire.Encode(End, Secret, FleetWire.CommandPurpose, At)).Replace("vb_1", "vb_2", StringComparison.Ordinal);

        Assert.Equal(FleetMessageVerdict.BadSignature, FleetWire.Decode<FleetCommand>(Encoding.UTF8.GetBytes(message), Secret, FleetWire.CommandPurpose, At, out _));
        Assert.Equal(FleetMessageVerdict.BadSignature, FleetWire.Decode<FleetCommand>("garbage {}"u8, Secret, FleetWire.CommandPurpose, At, out _));
    }

    [Theory]
    [InlineData(31)]
    [InlineData(-31)]
    public void Decode_GenuineButOutsideTheWindow_Stale(int secondsLater)
    {
        var message = FleetWire.Encode(End, Secret, FleetWire.CommandPurpose, At);

        Assert.Equal(FleetMessageVerdict.Stale, FleetWire.Decode<FleetCommand>(message, Secret, FleetWire.CommandPurpose, At.AddSeconds(secondsLater), out _));
    }

    [Fact]
    public void Channels_PerNodeForCommands_PerRequestForReplies()
    {
        Assert.Equal("voicebridge:fleet:cmd:node-b", FleetWire.Commands("node-b").ToString());
        Assert.Equal("voicebridge:fleet:reply:id1", FleetWire.Replies("id1").ToString());
    }
}
