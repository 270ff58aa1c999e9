using System.Buffers;
using System.Net.WebSockets;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tests.WebSockets;

public sealed class OutboundQueueTests
{
    private static OutboundFrame Frame(byte marker)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1);
        buffer[0] = marker;
        return OutboundFrame.Rented(FrameKind.Text, buffer, 1);
    }

    [Fact]
    public void TryEnqueue_BeyondCapacity_IsRefused()
    {
        var queue = new OutboundQueue(2);

        Assert.True(queue.TryEnqueue(Frame(1)));
        Assert.True(queue.TryEnqueue(Frame(2)));
        Assert.False(queue.TryEnqueue(Frame(3)));
        Assert.Equal(2, queue.Count);
        queue.DrainAndRelease();
    }

    [Fact]
    public async Task CloseAfterDrain_QueuedFramesStillReadThenChannelCompletes()
    {
        var queue = new OutboundQueue(4);
        queue.TryEnqueue(Frame(1));
        queue.TryEnqueue(Frame(2));

        Assert.True(queue.CloseAfterDrain(new CloseRequest(WebSocketCloseStatus.NormalClosure, null)));

        Assert.Null(queue.UrgentClose);
        Assert.True(queue.Reader.TryRead(out var first));
        Assert.True(queue.Reader.TryRead(out var second));
        Assert.Equal(1, first.Buffer![0]);
        Assert.Equal(2, second.Buffer![0]);
        Assert.False(await queue.Reader.WaitToReadAsync());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, queue.Close!.Status);
        first.Release();
        second.Release();
    }

    [Fact]
    public async Task CloseNow_OvertakesQueuedFramesAndWakesAWaitingReader()
    {
        var queue = new OutboundQueue(4);
        var waiting = queue.Reader.WaitToReadAsync().AsTask();

        queue.CloseNow(new CloseRequest(WebSocketCloseStatus.PolicyViolation, "slow_consumer"));

        Assert.False(await waiting.WaitAsync(TestTimeout.Token(5)));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, queue.UrgentClose!.Status);
    }

    [Fact]
    public async Task FirstCloseWins_LaterRequestsAreIgnoredAndEnqueueFailsAfterClose()
    {
        var queue = new OutboundQueue(4);

        Assert.True(queue.CloseNow(new CloseRequest(WebSocketCloseStatus.EndpointUnavailable, "first")));
        Assert.False(queue.CloseAfterDrain(new CloseRequest(WebSocketCloseStatus.NormalClosure, "second")));

        Assert.Equal("first", queue.Close!.Description);
        Assert.True(queue.IsClosing);
        Assert.False(queue.TryEnqueue(Frame(9)));
        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => queue.EnqueueAsync(Frame(9), CancellationToken.None).AsTask());
    }

    [Fact]
    public void CloseRequest_Release_ReturnsTheFinalEventOnce()
    {
        var rented = ArrayPool<byte>.Shared.Rent(8);
        var close = new CloseRequest(WebSocketCloseStatus.NormalClosure, null, rented, 8);

        Assert.Equal(8, close.FinalEvent.Length);
        close.Release();
        close.Release();

        Assert.True(close.FinalEvent.IsEmpty);
    }
}
