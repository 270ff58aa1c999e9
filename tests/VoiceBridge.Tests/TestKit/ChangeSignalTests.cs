namespace VoiceBridge.Tests.TestKit;

public sealed class ChangeSignalTests
{
    [Fact]
    public async Task WaitUntilAsync_ConditionAlreadyTrue_CompletesAtOnce()
    {
        var signal = new ChangeSignal();

        var waiting = signal.WaitUntilAsync(() => true, TestTimeout.Token());

        Assert.True(waiting.IsCompleted);
        await waiting;
    }

    [Fact]
    public async Task WaitUntilAsync_ChecksAgainOnEachNotify_CompletesOnlyOnceTheConditionHolds()
    {
        var signal = new ChangeSignal();
        var value = 0;

        var waiting = signal.WaitUntilAsync(() => Volatile.Read(ref value) >= 3, TestTimeout.Token());
        for (var i = 1; i < 3; i++)
        {
            Volatile.Write(ref value, i);
            signal.Notify();
            Assert.False(waiting.IsCompleted); // cannot complete while the condition is false
        }

        Volatile.Write(ref value, 3);
        signal.Notify();

        await waiting.WaitAsync(TestTimeout.Token());
    }

    [Fact]
    public async Task WaitUntilAsync_Cancelled_Throws()
    {
        var signal = new ChangeSignal();
        using var cancel = new CancellationTokenSource();

        var waiting = signal.WaitUntilAsync(() => false, cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }
}
