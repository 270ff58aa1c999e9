using VoiceBridge.Telephony;

namespace VoiceBridge.Tests.Telephony;

public sealed class TwilioPlaybackTests
{
    [Fact]
    public void MarkDue_Every100MsAndAtTheEnd()
    {
        var playback = new TwilioPlayback();
        var marks = new List<string?>();
        for (var i = 0; i < 7; i++)
        {
            playback.Sent("item_A", 160);
            marks.Add(playback.MarkDue(final: false));
        }

        marks.Add(playback.MarkDue(final: true));
        marks.Add(playback.MarkDue(final: true));

        Assert.Equal([null, null, null, null, "vb-1", null, null, "vb-2", null], marks);
    }

    [Fact]
    public void TryInterrupt_HeardFromAcknowledgedMarksOnly()
    {
        var playback = new TwilioPlayback();
        Send(playback, "item_A", chunks: 15, out var marks);
        Assert.Equal(3, marks.Count);

        playback.Acknowledged(marks[1]);

        Assert.Equal(200, playback.HeardMs("item_A"));
        Assert.True(playback.TryInterrupt(out var item, out var heard));
        Assert.Equal("item_A", item);
        Assert.Equal(200, heard);

        // Twilio echoes the cleared marks at once: they say nothing about what was heard.
        playback.Acknowledged(marks[2]);
        Assert.Equal(200, playback.HeardMs("item_A"));
    }

    [Fact]
    public void TryInterrupt_AllHeardOrNothingSent_False()
    {
        var playback = new TwilioPlayback();
        Assert.False(playback.TryInterrupt(out _, out _));

        Send(playback, "item_A", chunks: 5, out var marks);
        playback.Acknowledged(marks[^1]);
        Assert.False(playback.TryInterrupt(out _, out _));
    }

    [Fact]
    public void TryInterrupt_NewItemNotYetHeard_ZeroMs()
    {
        var playback = new TwilioPlayback();
        Send(playback, "item_A", chunks: 5, out var marks);
        playback.Acknowledged(marks[^1]);
        Send(playback, "item_B", chunks: 2, out _);

        Assert.True(playback.TryInterrupt(out var item, out var heard));
        Assert.Equal("item_B", item);
        Assert.Equal(0, heard);
    }

    [Fact]
    public void Acknowledged_UnknownName_Ignored()
    {
        var playback = new TwilioPlayback();
        Send(playback, "item_A", chunks: 10, out _);
        playback.Acknowledged("vb-999");
        playback.Acknowledged(null);

        Assert.Equal(0, playback.HeardMs("item_A"));
    }

    private static void Send(TwilioPlayback playback, string item, int chunks, out List<string> marks)
    {
        marks = [];
        for (var i = 0; i < chunks; i++)
        {
            playback.Sent(item, 160);
            if (playback.MarkDue(final: i == chunks - 1) is { } mark)
            {
                marks.Add(mark);
            }
        }
    }
}
