using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Diagnostics;
using VoiceBridge.Realtime;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// Upstream reconnect and rollover (CONTRACT.md, "Continuity"): a dropped or expired upstream connection is replaced
/// mid-call, and a long-lived one is swapped for a fresh one at a quiet moment, with the session's configuration and the
/// last conversation items replayed into the new connection. The browser keeps its socket.
/// </summary>
/// <remarks>
/// Every replacement runs as one link of a chain (<see cref="_continuityWork"/>), so a drop during a rollover's switch
/// waits for it and then finds out whether the dropped leg is still the current one. Rollover is a timer while it is not
/// due (<see cref="UpstreamContinuity.StartRolloverTimer"/>: an idle session holds no waiting task for its 55 minutes),
/// then a task (<see cref="_rollover"/>) until it has switched. The chain and the rollover are awaited before the
/// session closes its upstream; both stop when the session ends (its connect token, and the timer is disposed).
/// </remarks>
internal sealed partial class BridgeSession
{
    /// <summary>When a rollover's dial fails, the next try comes this much later (the current connection carries on meanwhile).</summary>
    public static readonly TimeSpan RolloverRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>A server tool's output does not signal; waiting for a quiet moment looks again this often.</summary>
    private static readonly TimeSpan QuietPoll = TimeSpan.FromSeconds(1);

    private readonly Lock _continuityLock = new();
    private Task _continuityWork = Task.CompletedTask;

    /// <summary>The last upstream replacement (reconnect or rollover switch) started; completed when none is in flight.</summary>
    private Task ContinuityWork
    {
        get
        {
            lock (_continuityLock)
            {
                return _continuityWork;
            }
        }
    }
    /// <summary>The rollover in progress (started by the rollover timer), or the last one; guarded by <see cref="_continuityLock"/>.</summary>
    private Task _rollover = Task.CompletedTask;
    private bool _rollingOver;
    private bool _rolloverStopped;
    private int _upstreamConnections;

    /// <summary>The conversation as text: what a replacement connection is primed with, and the session-ended transcript.</summary>
    internal ConversationRecord Conversation { get; }

    internal UpstreamContinuity Continuity { get; }

    /// <summary>Upstream connections this session has used (1 without reconnects or rollovers).</summary>
    public int UpstreamConnections => Volatile.Read(ref _upstreamConnections);

    /// <summary>
    /// The reason a replacement is made for this ending of the current upstream leg, or null when the ending ends the
    /// call: a drop without a close frame (or a broken protocol) and 1011/1012/1013 are <c>upstream_dropped</c>, 1001 is
    /// <c>upstream_expired</c>.
    /// </summary>
    internal static string? ReconnectReason(LegResult result) => result.End switch
    {
        LegEnd.PeerVanished or LegEnd.ProtocolError => ReconnectReasons.UpstreamDropped,
        LegEnd.PeerClosed => result.CloseStatus switch
        {
            WebSocketCloseStatus.EndpointUnavailable => ReconnectReasons.UpstreamExpired,
            WebSocketCloseStatus.InternalServerError or (WebSocketCloseStatus)1012 or (WebSocketCloseStatus)1013 => ReconnectReasons.UpstreamDropped,
            _ => null,
        },
        _ => null,
    };

    /// <summary>Called when a current leg's loop ends: true when the upstream connection is being replaced instead of the call ending.</summary>
    private bool TryReplaceUpstream(SessionLeg leg, LegResult result)
    {
        if (leg.Side != SessionSide.Upstream || !Continuity.Options.ReconnectUpstream || HasEnded || ReconnectReason(result) is not { } reason)
        {
            return false;
        }

        // Retired at once: its send loop takes no more queued browser frames (they wait for the new connection), and
        // its other loop's result is ignored.
        leg.Retire();
        lock (_continuityLock)
        {
            // On the thread pool: this runs inside the old leg's loop, which must not carry the dial.
            var previous = _continuityWork;
            _continuityWork = Task.Run(() => ReconnectAfterAsync(previous, (UpstreamLeg)leg, reason));
        }

        return true;
    }

    private void StartRollover()
    {
        if (Continuity.Options.ReconnectUpstream)
        {
            Continuity.StartRolloverTimer(static state => ((BridgeSession)state!).OnRolloverTimer(), this);
        }
    }

    /// <summary>
    /// The rollover timer fired: if rollover is due now (the deadline may have moved since it was armed) and none is in
    /// progress, one starts here, on the timer's thread, up to its first wait.
    /// </summary>
    private void OnRolloverTimer()
    {
        Task<Task> rollover;
        lock (_continuityLock)
        {
            // One in progress arms the timer again when it is over.
            if (_rolloverStopped || _rollingOver || HasEnded || !Continuity.IsRolloverDue())
            {
                return;
            }

            // The token is read here: Release disposes its source only after StopRollover has taken this lock.
            _rollingOver = true;
            var token = _connectCts.Token;
            rollover = new Task<Task>(() => RolloverAsync(token));
            _rollover = rollover.Unwrap();
        }

        rollover.RunSynchronously(TaskScheduler.Default);
    }

    /// <summary>No rollover starts from now on (the one in progress, if any, ends with the connect token).</summary>
    private void StopRollover()
    {
        lock (_continuityLock)
        {
            _rolloverStopped = true;
        }

        Continuity.StopRollover();
    }

    /// <summary>Waits for the rollover and every replacement in flight (the chain may grow while it is awaited).</summary>
    private async Task ContinuityStoppedAsync()
    {
        StopRollover();
        Task rollover;
        lock (_continuityLock)
        {
            // Stopped: no other rollover can start after this one.
            rollover = _rollover;
        }

        await rollover.ConfigureAwait(false);
        while (true)
        {
            Task work;
            lock (_continuityLock)
            {
                work = _continuityWork;
            }

            await work.ConfigureAwait(false);
            lock (_continuityLock)
            {
                if (work == _continuityWork)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Replaces a connection that dropped or expired: the browser hears of the lost response, a new one is dialled and primed.</summary>
    private async Task ReconnectAfterAsync(Task previous, UpstreamLeg dropped, string reason)
    {
        await previous.ConfigureAwait(false);
        try
        {
            if (HasEnded || Volatile.Read(ref _upstreamLeg) != dropped)
            {
                // The session is over, or a rollover already moved the call off this connection.
                return;
            }

            await dropped.Sending.ConfigureAwait(false);
            if (Continuity.TakeInterruptedResponse() is { } responseId)
            {
                await SendFailedResponseDoneAsync(responseId).ConfigureAwait(false);
            }

            WebSocket next;
            var connectStarted = TimeProvider.GetTimestamp();
            try
            {
                next = await _services.Connector.ConnectAsync(_connectCts.Token).ConfigureAwait(false);
                Metrics.UpstreamConnected(TimeProvider.GetElapsedTime(connectStarted));
            }
            catch (UpstreamConnectException e)
            {
                var code = e.Failure switch
                {
                    UpstreamFailure.AuthRejected => BridgeErrors.UpstreamAuthFailed,
                    UpstreamFailure.RateLimited => BridgeErrors.UpstreamRateLimited,
                    _ => BridgeErrors.UpstreamUnavailable,
                };
                ContinuityLog.ReconnectFailed(Logger, reason, e.Message, (int?)e.StatusCode ?? 0);
                Metrics.UpstreamReconnect(reason, ReconnectReasons.Failed);
                Metrics.UpstreamConnectFailed(code);
                End(new(EndTrigger.UpstreamConnectFailed, ErrorCode: code));
                return;
            }

            await SwitchUpstreamAsync(dropped, next, reason).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The session ended while dialling.
        }
        catch (Exception e)
        {
            Log.LoopFailed(Logger, "upstream reconnect", e);
            End(new(EndTrigger.InternalError));
        }
    }

    /// <summary>
    /// After <c>RolloverAfter</c> on one connection (or 5 minutes before its <c>expires_at</c>): dial a new one, and at a
    /// quiet moment switch to it (make-before-break); again while the current connection is due (a failed dial is tried
    /// again after <see cref="RolloverRetryDelay"/>). Then the timer takes over again. Ends with the session (its
    /// connect token).
    /// </summary>
    private async Task RolloverAsync(CancellationToken token)
    {
        try
        {
            // The timer may have fired before the first connection started (whose clock then started afresh): the
            // loop's condition looks again.
            await _connecting.ConfigureAwait(false);
            while (!token.IsCancellationRequested && Volatile.Read(ref _upstreamLeg) is not null && Continuity.RolloverDueIn() <= TimeSpan.Zero)
            {
                await Continuity.WaitForQuietAsync(QuietPoll, token).ConfigureAwait(false);

                WebSocket next;
                try
                {
                    next = await _services.Connector.ConnectAsync(token).ConfigureAwait(false);
                }
                catch (UpstreamConnectException e)
                {
                    // The current connection still carries the call; if it expires first, the reconnect takes over.
                    ContinuityLog.RolloverDialFailed(Logger, e.Message, RolloverRetryDelay.TotalSeconds);
                    Metrics.UpstreamReconnect(ReconnectReasons.Rollover, ReconnectReasons.Failed);
                    await Task.Delay(RolloverRetryDelay, TimeProvider, token).ConfigureAwait(false);
                    continue;
                }

                await Continuity.WaitForQuietAsync(QuietPoll, token).ConfigureAwait(false);
                var current = Volatile.Read(ref _upstreamLeg)!;
                Task switching;
                lock (_continuityLock)
                {
                    var previous = _continuityWork;
                    switching = Task.Run(() => RolloverAfterAsync(previous, current, next), CancellationToken.None);
                    _continuityWork = switching;
                }

                await switching.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The session ended.
        }
        catch (Exception e)
        {
            Log.LoopFailed(Logger, "upstream rollover", e);
            End(new(EndTrigger.InternalError));
        }
        finally
        {
            lock (_continuityLock)
            {
                _rollingOver = false;
            }

            // For the connection now current (a stopped timer stays stopped).
            Continuity.ArmRollover();
        }
    }

    private async Task RolloverAfterAsync(Task previous, UpstreamLeg current, WebSocket next)
    {
        await previous.ConfigureAwait(false);
        if (HasEnded || current.IsRetired || Volatile.Read(ref _upstreamLeg) != current || next.State != WebSocketState.Open)
        {
            // The connection was replaced meanwhile (a drop), or the new one did not survive the wait.
            next.Abort();
            next.Dispose();
            return;
        }

        try
        {
            current.Retire();
            await SwitchUpstreamAsync(current, next, ReconnectReasons.Rollover).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.LoopFailed(Logger, "upstream rollover", e);
            End(new(EndTrigger.InternalError));
        }
    }

    /// <summary>
    /// The switch itself: the old leg (already retired) finishes the frame it was sending; the new one is sent the
    /// priming, then the queued browser frames in order; the browser hears <c>bridge.upstream.reconnected</c>; the old
    /// connection is closed with 1000.
    /// </summary>
    private async Task SwitchUpstreamAsync(UpstreamLeg old, WebSocket next, string reason)
    {
        await old.Sending.ConfigureAwait(false);
        var priming = Continuity.Prime(next, _initialUpstreamFrames);
        StartUpstream(next, priming);

        // The old connection's response in progress will send no response.done: tool outputs waiting for it are
        // answered on the new connection (after the priming, which already carries them as items).
        Tools?.OnUpstreamReplaced();
        lock (_retiredLegs)
        {
            _retiredLegs.Add(old);
        }

        Metrics.UpstreamReconnect(reason, ReconnectReasons.Ok);
        ContinuityLog.UpstreamReplaced(Logger, reason, UpstreamConnections, priming.ReplayedItems);
        await EmitBridgeEventAsync(BridgeEvents.UpstreamReconnected, (Reason: reason, Replayed: priming.ReplayedItems), static (writer, state) =>
        {
            writer.WriteString("reason"u8, state.Reason);
            writer.WriteNumber("replayed_items"u8, state.Replayed);
        }).ConfigureAwait(false);
        await CloseRetiredAsync(old, reason).ConfigureAwait(false);
    }

    /// <summary>The response cut off by the drop ends for the browser as failed, so it stops waiting for it.</summary>
    private ValueTask<bool> SendFailedResponseDoneAsync(string responseId)
    {
        var output = new ArrayBufferWriter<byte>(320);
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, RealtimeEventTypes.ResponseDone);
            writer.WriteString("event_id"u8, "event_bridge_reconnect_" + UpstreamConnections.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteStartObject("response"u8);
            writer.WriteString("object"u8, "realtime.response"u8);
            if (responseId.Length > 0)
            {
                writer.WriteString("id"u8, responseId);
            }

            writer.WriteString("status"u8, "failed"u8);
            writer.WriteStartObject("status_details"u8);
            writer.WriteString("type"u8, "failed"u8);
            writer.WriteStartObject("error"u8);
            writer.WriteString("type"u8, "bridge_error"u8);
            writer.WriteString("code"u8, "upstream_reconnected"u8);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteStartArray("output"u8);
            writer.WriteEndArray();
            writer.WriteNull("usage"u8);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var buffer = ArrayPool<byte>.Shared.Rent(output.WrittenCount);
        output.WrittenSpan.CopyTo(buffer);
        return EnqueueToBrowserAsync(OutboundFrame.Rented(FrameKind.Text, buffer, output.WrittenCount).WithFlags(FrameFlags.ResponseDone, Observer.Epoch));
    }
}

/// <summary>The <c>reason</c> of <c>bridge.upstream.reconnected</c> and of the reconnect metric, and its outcomes.</summary>
internal static class ReconnectReasons
{
    /// <summary>The upstream closed with 1001 (OpenAI's session cap).</summary>
    public const string UpstreamExpired = "upstream_expired";

    /// <summary>No close frame, or 1011/1012/1013.</summary>
    public const string UpstreamDropped = "upstream_dropped";

    /// <summary>The bridge's own switch before the cap.</summary>
    public const string Rollover = "rollover";

    public const string Ok = "ok";

    public const string Failed = "failed";
}
