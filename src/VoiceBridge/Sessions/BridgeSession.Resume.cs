using System.Text.Json;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// Resume (CONTRACT.md, "Continuity"): a browser leg that vanishes detaches the session instead of ending it, and a
/// new socket presenting the resume token attaches again.
/// </summary>
/// <remarks>
/// <code>
///  Attached ──vanished──▶ Detached ──resume claimed──▶ Attaching ──replayed──▶ Attached
///                           │  ▲                          │
///                           │  └──── new socket failed ───┘
///                           └── window elapsed / buffer full ──▶ session ends (resume_expired / resume_overflow)
/// </code>
/// While detached, a keeper loop is the browser queue's one reader: it moves frames into a byte-bounded
/// <see cref="ResumeBuffer"/>, so the 64-frame queue never fills and the slow-consumer rule never applies. Each
/// browser socket belongs to its own request: the first request runs the session (<see cref="RunAsync"/>), a resumed
/// request runs <see cref="ResumeAsync"/>, which returns once its leg has ended (detached again, replaced, or closed
/// with the session), so that the request outlives its socket's use. Attaches take turns (<c>_attachTurn</c>), and the
/// session's close takes the last turn, so a leg is never installed after the close has picked the leg to close.
/// </remarks>
internal sealed partial class BridgeSession
{
    private const int PhaseAttached = 0;
    private const int PhaseDetached = 1;
    private const int PhaseAttaching = 2;

    private readonly Lock _attachLock = new();
    // Both made on first use: an attached session that never detached needs no list, and its one turn (the close's)
    // can wait for the semaphore to exist.
    private SemaphoreSlim? _attachTurn;
    private List<Task>? _resumeWork;
    private ResumeTokens? _resumeTokens;
    private string? _resumeKey;
    private ResumeBuffer? _kept;
    private Task _keeping = Task.CompletedTask;
    private ITimer? _resumeExpiry;
    private int _phase;
    private int _detachGeneration;
    private bool _resumeArmed;
    private bool _browserSealed;
    private bool _countedDetached;
    private volatile bool _stopKeeping;

    /// <summary>Attaches take turns with each other and with the session's close (<see cref="SealBrowserAsync"/>).</summary>
    private SemaphoreSlim AttachTurn => LazyInitializer.EnsureInitialized(ref _attachTurn, static () => new SemaphoreSlim(1, 1));

    /// <summary>The browser vanished and the session waits for it (the admin API's <c>state: "detached"</c>).</summary>
    public bool IsDetached => Volatile.Read(ref _phase) != PhaseAttached;

    /// <summary>Payload bytes kept for the detached browser right now (tests and diagnostics; a racy read).</summary>
    internal long KeptBytes => Volatile.Read(ref _kept)?.Bytes ?? 0;

    /// <summary>Realtime events kept for the detached browser right now (tests and diagnostics; a racy read).</summary>
    internal int KeptEvents => Volatile.Read(ref _kept)?.RealtimeEvents ?? 0;

    /// <summary>This session hands out resume tokens (it asked for bridge events and resume is on).</summary>
    internal bool IsResumable => _resumeTokens is not null;

    /// <summary>Called once by the factory, before the session runs.</summary>
    internal void EnableResume(ResumeTokens tokens)
    {
        if (BridgeEventsEnabled && tokens.Enabled)
        {
            _resumeTokens = tokens;
        }
    }

    /// <summary>Writes <c>resume_token</c> and <c>resume_window_ms</c> into <c>bridge.session.created</c> when resumable.</summary>
    internal void WriteResumeFields(Utf8JsonWriter writer)
    {
        if (_resumeTokens is not { } tokens)
        {
            return;
        }

        writer.WriteString("resume_token"u8, NextResumeToken(tokens));
        writer.WriteNumber("resume_window_ms"u8, (long)tokens.Options.ResumeWindow.TotalMilliseconds);
    }

    /// <summary>From now on a vanishing browser detaches the session (its first leg has started).</summary>
    internal void ArmResume()
    {
        lock (_attachLock)
        {
            _resumeArmed = _resumeTokens is not null;
        }
    }

    /// <summary>
    /// The browser's socket ended without a close frame (or its request was aborted): detach if this session can be
    /// resumed, otherwise end it as before. Only the current leg counts; an older socket's end is ignored.
    /// </summary>
    internal void OnBrowserVanished(SessionLeg leg)
    {
        Task<Task>? keeping = null;
        lock (_attachLock)
        {
            if (leg != _browserLeg || leg.IsRetired)
            {
                return;
            }

            if (_resumeArmed && !_browserSealed && !HasEnded && _phase == PhaseAttached)
            {
                leg.Retire();
                keeping = StartDetachedLocked(leg);
            }
        }

        if (keeping is null)
        {
            End(new(EndTrigger.BrowserVanished));
            return;
        }

        ResumeLog.Detached(Logger, Id, _resumeTokens!.Options.ResumeWindow.TotalSeconds);
        keeping.Start(TaskScheduler.Default);
    }

    /// <summary>
    /// The session's close takes the last attach turn: no leg is installed after this, and the leg returned is the one
    /// to close. A detachment still open is settled here (gauge and outcome).
    /// </summary>
    private async Task<SessionLeg> SealBrowserAsync()
    {
        await AttachTurn.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_attachLock)
            {
                _browserSealed = true;
                _resumeExpiry?.Dispose();
                _resumeExpiry = null;
                if (_phase != PhaseAttached)
                {
                    var reason = Outcome?.Reason;
                    if (reason is not (SessionOutcome.ResumeExpired or SessionOutcome.ResumeOverflow))
                    {
                        Metrics.Resume(ResumeOutcome.Ended);
                    }
                }

                LeaveDetachedLocked();
                return _browserLeg;
            }
        }
        finally
        {
            AttachTurn.Release();
        }
    }

    /// <summary>The keepers this session started: each ends with the browser queue's close.</summary>
    private Task ResumeWorkAsync()
    {
        lock (_attachLock)
        {
            return _resumeWork is null ? Task.CompletedTask : Task.WhenAll(_resumeWork);
        }
    }

    private void ReleaseResume()
    {
        lock (_attachLock)
        {
            _resumeExpiry?.Dispose();
            _resumeExpiry = null;
            _kept?.Release();
            if (_resumeKey is { } key)
            {
                _resumeTokens?.Forget(key, this);
            }
        }
    }

    /// <summary>Rotates the token: the previous one (if any) stops working, and the new one is returned for the browser.</summary>
    private string NextResumeToken(ResumeTokens tokens)
    {
        lock (_attachLock)
        {
            if (_resumeKey is { } previous)
            {
                tokens.Forget(previous, this);
            }

            var token = tokens.Issue(this, out var key);
            _resumeKey = key;
            return token;
        }
    }

    /// <summary>Enters the detached phase (under the lock); the returned task, once started, keeps frames until an attach or the close.</summary>
    private Task<Task> StartDetachedLocked(SessionLeg? vanished)
    {
        if (!_countedDetached)
        {
            // Counted under the lock LeaveDetachedLocked takes, and before the phase shows (the increment is a full
            // fence): the gauge never dips below zero, and whoever sees "detached" sees it counted. A socket that failed
            // before its attach (RestartDetached) had left the phase, and is counted again here.
            _countedDetached = true;
            Metrics.SessionDetached();
        }

        _stopKeeping = false;
        _kept ??= new ResumeBuffer(_resumeTokens!.Options.ResumeBufferBytes);
        StartResumeWindowLocked();

        // Shown last: whoever sees "detached" (the admin API, a test moving a fake clock) sees its window running. Shown
        // before the timer, a clock moved in between put the deadline a whole window after that move.
        Volatile.Write(ref _phase, PhaseDetached);

        // Created cold and started outside the lock: its first steps may abort a socket, whose callbacks come back here.
        var keeping = new Task<Task>(() => KeepWhileDetachedAsync(vanished));
        _keeping = keeping.Unwrap();
        AddResumeWorkLocked(_keeping);
        return keeping;
    }

    /// <summary>Work the session's close awaits; what has finished is dropped, so blips and replacements do not pile up.</summary>
    private void AddResumeWorkLocked(Task work)
    {
        _resumeWork ??= [];
        _resumeWork.RemoveAll(static task => task.IsCompleted);
        _resumeWork.Add(work);
    }

    /// <summary>The resume window starts (again): when it elapses in this same detachment, the session ends.</summary>
    private void StartResumeWindowLocked()
    {
        var generation = ++_detachGeneration;
        _resumeExpiry?.Dispose();
        _resumeExpiry = TimeProvider.CreateTimer(
            static state =>
            {
                var (session, generation) = ((BridgeSession, int))state!;
                session.OnResumeWindowElapsed(generation);
            },
            (this, generation),
            _resumeTokens!.Options.ResumeWindow,
            Timeout.InfiniteTimeSpan);
    }

    /// <summary>A new socket failed before it was attached: detached again, with a fresh window, keeping what was kept.</summary>
    private void RestartDetached()
    {
        Task<Task>? keeping;
        lock (_attachLock)
        {
            if (_browserSealed || HasEnded)
            {
                return;
            }

            keeping = StartDetachedLocked(null);
        }

        keeping.Start(TaskScheduler.Default);
    }

    private void LeaveDetachedLocked()
    {
        if (_countedDetached)
        {
            _countedDetached = false;
            Metrics.SessionReattachedOrEnded();
        }
    }

    /// <summary>The keeper: the browser queue's only reader while detached.</summary>
    private async Task KeepWhileDetachedAsync(SessionLeg? vanished)
    {
        if (vanished is not null)
        {
            // Abort first: a send blocked on a dead connection would otherwise hold the queue until the keep-alive gives up.
            vanished.Abort();
            await vanished.Sending.ConfigureAwait(false);
        }

        var kept = _kept!;
        var reader = ToBrowser.Reader;

        // Same shape as a send loop: an uncancellable wait, ended by a wake (an attach) or the queue's completion (the close).
        while (!_stopKeeping && ToBrowser.UrgentClose is null)
        {
            if (!reader.TryRead(out var frame))
            {
                if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            if (frame.Kind == FrameKind.Wake || Observer.IsInterruptedAudio(frame))
            {
                frame.Release();
                continue;
            }

            if (!kept.TryAdd(frame))
            {
                frame.Release();
                OnResumeOverflow();
                break;
            }
        }

        if (vanished is not null)
        {
            // Not kept in the retired list until the session ends: a call that blips again and again must not pile them up.
            await vanished.Completion.ConfigureAwait(false);
            vanished.Dispose();
        }
    }

    /// <summary>
    /// What the keeper had not read yet was kept all the same: it joins the replay, so that <c>replayed_events</c> counts
    /// every event that waited for the browser. Frames that do not fit stay queued and follow as the live stream.
    /// </summary>
    private void TakeQueuedIntoKept()
    {
        var kept = _kept;
        if (kept is null)
        {
            return;
        }

        // Nobody else reads the queue now, so the frame read is the frame peeked.
        var reader = ToBrowser.Reader;
        while (ToBrowser.UrgentClose is null && reader.TryPeek(out var frame))
        {
            if (frame.Kind == FrameKind.Wake || Observer.IsInterruptedAudio(frame))
            {
                reader.TryRead(out var skipped);
                skipped.Release();
                continue;
            }

            if (!kept.TryAdd(frame))
            {
                return;
            }

            reader.TryRead(out _);
        }
    }

    private void OnResumeWindowElapsed(int generation)
    {
        lock (_attachLock)
        {
            if (_phase != PhaseDetached || generation != _detachGeneration || HasEnded)
            {
                return;
            }

            // Sealed here, not only at the close: a resume that claimed the token a moment ago is refused, not half-attached.
            _browserSealed = true;
        }

        Metrics.Resume(ResumeOutcome.Expired);
        ResumeLog.Expired(Logger, Id, _resumeTokens!.Options.ResumeWindow.TotalSeconds);
        End(new(EndTrigger.ResumeExpired));
    }

    private void OnResumeOverflow()
    {
        lock (_attachLock)
        {
            if (HasEnded)
            {
                return;
            }
        }

        Metrics.Resume(ResumeOutcome.Overflow);
        ResumeLog.Overflow(Logger, Id, _resumeTokens!.Options.ResumeBufferBytes);
        End(new(EndTrigger.ResumeOverflow));
    }
}
