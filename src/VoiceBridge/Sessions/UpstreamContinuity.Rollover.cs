namespace VoiceBridge.Sessions;

/// <summary>When the current connection is due for rollover, the timer that says so, and the wait for a quiet moment.</summary>
internal sealed partial class UpstreamContinuity
{
    /// <summary>How long until the current connection is due for rollover (zero or less: due now).</summary>
    public TimeSpan RolloverDueIn()
    {
        lock (_lock)
        {
            return RolloverDueInLocked();
        }
    }

    /// <summary>
    /// Creates the session's one rollover timer, armed for the current connection's deadline: <paramref name="due"/>
    /// runs (on a timer thread) when rollover may be due, and asks <see cref="IsRolloverDue"/>. No task waits meanwhile,
    /// so an idle session holds a timer, not a waiting loop.
    /// </summary>
    public void StartRolloverTimer(TimerCallback due, object state)
    {
        lock (_lock)
        {
            if (_rolloverTimer is not null || _rolloverStopped)
            {
                return;
            }

            _rolloverTimer = _timeProvider.CreateTimer(due, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            ArmRolloverLocked();
        }
    }

    /// <summary>The timer's question: true when rollover is due now; otherwise the timer is armed again for the (moved) deadline.</summary>
    public bool IsRolloverDue()
    {
        lock (_lock)
        {
            if (_rolloverTimer is null)
            {
                // Stopped: the session is ending.
                return false;
            }

            if (RolloverDueInLocked() <= TimeSpan.Zero)
            {
                return true;
            }

            ArmRolloverLocked();
            return false;
        }
    }

    /// <summary>Arms the rollover timer for the current deadline again (after a rollover, which does not watch the timer).</summary>
    public void ArmRollover()
    {
        lock (_lock)
        {
            ArmRolloverLocked();
        }
    }

    /// <summary>The session is ending: the timer is disposed and never created again.</summary>
    public void StopRollover()
    {
        ITimer? timer;
        lock (_lock)
        {
            _rolloverStopped = true;
            timer = _rolloverTimer;
            _rolloverTimer = null;
        }

        timer?.Dispose();
    }

    private void ArmRolloverLocked()
    {
        if (_rolloverTimer is not { } timer)
        {
            return;
        }

        // At least 1 ms (rounded up) and at most what a timer takes: a timer never fires inside Change (a fake clock
        // would run the callback here, under this lock), and one that fires early just arms again.
        var wait = Math.Clamp(Math.Ceiling(RolloverDueInLocked().TotalMilliseconds), 1, MaxTimerMilliseconds);
        timer.Change(TimeSpan.FromMilliseconds(wait), Timeout.InfiniteTimeSpan);
    }

    private TimeSpan RolloverDueInLocked()
    {
        var due = _options.RolloverAfter - _timeProvider.GetElapsedTime(_connectionStarted);
        var expiresAt = _expiresAt;
        var startedAt = _connectionStartedAt;

        // A connection that lives no longer than the margin cannot roll over "5 minutes before" its end: the reconnect
        // at its close carries the call instead (and rolling over at once would only churn connections).
        if (expiresAt is { } expiry && expiry - startedAt > ExpiryMargin)
        {
            var beforeExpiry = expiry - ExpiryMargin - _timeProvider.GetUtcNow();
            due = beforeExpiry < due ? beforeExpiry : due;
        }

        return due;
    }

    /// <summary>
    /// Waits for a quiet moment. Responses and speech signal their end; a server tool's output does not, so the wait
    /// also looks again every <paramref name="poll"/>.
    /// </summary>
    public async Task WaitForQuietAsync(TimeSpan poll, CancellationToken cancellationToken)
    {
        while (true)
        {
            var changed = Changed();
            if (IsQuiet)
            {
                return;
            }

            await WaitAsync(poll, changed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(TimeSpan delay, Task changed, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var timer = Task.Delay(delay, _timeProvider, stop.Token);
        await Task.WhenAny(timer, changed).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await timer.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Completes at the next <see cref="Signal"/>; read it before checking the condition waited for.</summary>
    private Task Changed()
    {
        if (Volatile.Read(ref _changed) is { } current)
        {
            return current.Task;
        }

        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref _changed, created, null) ?? created).Task;
    }

    private void Signal() => Interlocked.Exchange(ref _changed, null)?.TrySetResult();
}
