namespace VoiceBridge.TestKit;

/// <summary>
/// Lets a test wait for a condition instead of polling it: whoever changes what the condition reads calls
/// <see cref="Notify"/> after the change, and every waiter checks its condition again. Nothing sleeps, nothing spins.
/// </summary>
public sealed class ChangeSignal
{
    private TaskCompletionSource _next = NewSignal();

    /// <summary>Something may have changed: wakes every waiter to check its condition again.</summary>
    public void Notify() => Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();

    /// <summary>Completes once <paramref name="condition"/> holds (at once if it already does).</summary>
    /// <remarks>The signal is taken before the check, so a change made between the check and the wait still wakes it.</remarks>
    public async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            var changed = Volatile.Read(ref _next).Task;
            if (condition())
            {
                return;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
