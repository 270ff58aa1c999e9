using System.Buffers;
using System.Text;
using VoiceBridge.Sessions;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tests.Sessions;

public class ResumeBufferTests
{
    [Fact]
    public void SmallEventsInLargeBuffers_AreChargedWhatTheyHold_AfterMovingIntoBuffersOfTheirOwnSize()
    {
        var kept = new ResumeBuffer(1000);
        for (var i = 0; i < 5; i++)
        {
            Assert.True(kept.TryAdd(Frame(100, rentedBytes: 8192)));
        }

        // 100 bytes move into a 128-byte buffer: 128 + 64 each; a sixth would pass 1000 and is refused untouched.
        Assert.Equal(5 * (128 + ResumeBuffer.FrameOverhead), kept.Bytes);
        var refused = Frame(100, rentedBytes: 8192);
        Assert.False(kept.TryAdd(refused));
        Assert.Equal(8192, refused.Buffer!.Length);
        refused.Release();
        Assert.Equal(5, kept.RealtimeEvents);

        while (kept.TryPeek(out var first))
        {
            Assert.Equal(128, first.Buffer!.Length);
            kept.DropFirst();
        }

        Assert.Equal(0, kept.Bytes);
    }

    [Fact]
    public void BridgeEvents_AreKeptButNotCountedAsRealtimeEvents()
    {
        var kept = new ResumeBuffer(1 << 20);
        Assert.True(kept.TryAdd(Text("""{"type":"bridge.upstream.reconnected","event_id":"event_bridge_2"}""")));
        Assert.True(kept.TryAdd(Text("""{"type":"response.done","event_id":"e1"}""")));

        Assert.Equal(2, kept.Count);
        Assert.Equal(1, kept.RealtimeEvents);
        kept.Release();
        Assert.Equal(0, kept.Count);
    }

    private static OutboundFrame Frame(int length, int rentedBytes)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(rentedBytes);
        "{\"type\":\"x\"}"u8.CopyTo(buffer);
        return OutboundFrame.Rented(FrameKind.Text, buffer, length);
    }

    private static OutboundFrame Text(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(buffer, 0);
        return OutboundFrame.Rented(FrameKind.Text, buffer, bytes.Length);
    }
}
