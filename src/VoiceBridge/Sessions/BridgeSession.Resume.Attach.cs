using System.Net.WebSockets;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>Resume, the attach half: a new socket presents the token, the live one (if any) is replaced, the kept events are replayed.</summary>
internal sealed partial class BridgeSession
{
    /// <summary>
    /// Attaches a new browser socket (accepted by <paramref name="accept"/> only once the session is known to go on),
    /// replaces a socket that still looks alive (closed with 1000), sends <c>bridge.session.resumed</c> and every kept
    /// event, then the live stream. Returns when the new leg has ended; the caller's request owns the socket until then.
    /// </summary>
    internal async Task<ResumeResult> ResumeAsync(Func<Task<WebSocket>> accept, string clientAddress, CancellationToken requestAborted)
    {
        await AttachTurn.WaitAsync(requestAborted).ConfigureAwait(false);
        WebSocket socket;
        BrowserLeg? leg;
        try
        {
            SessionLeg? live = null;
            lock (_attachLock)
            {
                if (_browserSealed || HasEnded)
                {
                    return ResumeResult.SessionGone;
                }

                if (_phase == PhaseAttached)
                {
                    live = _browserLeg;
                }
                else
                {
                    // The window no longer runs: this resume decides, whatever the clock says meanwhile.
                    _phase = PhaseAttaching;
                    _resumeExpiry?.Dispose();
                    _resumeExpiry = null;
                }
            }

            try
            {
                socket = await accept().ConfigureAwait(false);
            }
            catch
            {
                if (live is null)
                {
                    // The keeper never stopped: only the window starts again.
                    lock (_attachLock)
                    {
                        if (!_browserSealed && !HasEnded)
                        {
                            _phase = PhaseDetached;
                            StartResumeWindowLocked();
                        }
                    }
                }

                throw;
            }

            leg = await AttachAsync(socket, live, clientAddress, requestAborted).ConfigureAwait(false);
        }
        finally
        {
            AttachTurn.Release();
        }

        using (socket)
        {
            if (leg is not null)
            {
                using (requestAborted.Register(static state => { var (session, leg) = ((BridgeSession, BrowserLeg))state!; session.OnBrowserVanished(leg); }, (this, leg)))
                {
                    await leg.Completion.ConfigureAwait(false);
                }
            }
        }

        return ResumeResult.Attached;
    }

    private async Task CloseReplacedAsync(SessionLeg replaced)
    {
        await CloseRetiredAsync(replaced, "resumed on another connection").ConfigureAwait(false);
        replaced.Dispose();
    }

    /// <summary>Takes over the browser queue from whoever reads it, replays what was kept, and installs the new leg.</summary>
    private async Task<BrowserLeg?> AttachAsync(WebSocket socket, SessionLeg? live, string clientAddress, CancellationToken requestAborted)
    {
        if (live is not null)
        {
            // The old socket still looks alive: it stops after the frame it is sending and is closed with 1000; the new
            // one continues with the next queued frame.
            live.Retire();
            await live.Sending.ConfigureAwait(false);

            // Its close handshake must not hold up the new socket: it runs beside, and the session's close awaits it.
            var closing = CloseReplacedAsync(live);
            lock (_attachLock)
            {
                AddResumeWorkLocked(closing);
            }
        }
        else
        {
            _stopKeeping = true;
            ToBrowser.Wake();
            await _keeping.ConfigureAwait(false);
            TakeQueuedIntoKept();
        }

        // Nobody reads the browser queue now; frames arriving meanwhile wait in it, after the kept ones.
        var kept = _kept;
        var replayed = kept?.RealtimeEvents ?? 0;
        var keptBytes = kept?.Bytes ?? 0;
        var resumed = ResumedEvent(replayed);
        bool delivered;
        using (var timeout = new CancellationTokenSource(Options.SlowClientTimeout, TimeProvider))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, requestAborted))
        {
            delivered = await ReplayAsync(socket, resumed, kept, linked.Token).ConfigureAwait(false);
        }

        if (delivered)
        {
            BrowserLeg leg;
            lock (_attachLock)
            {
                leg = new BrowserLeg(this, socket);
                Volatile.Write(ref _browserLeg, leg);
                Volatile.Write(ref _phase, PhaseAttached);
                LeaveDetachedLocked();
                if (kept is { Count: 0 })
                {
                    // Its queue's array grew with the backlog: let it go until the next detachment.
                    _kept = null;
                }

                leg.Start([]);
            }

            Metrics.Resume(ResumeOutcome.Resumed);
            ResumeLog.Resumed(Logger, Id, clientAddress, replayed, keptBytes, live is null ? string.Empty : " (replaced a live socket)");
            return leg;
        }

        ResumeLog.ReplayFailed(Logger, Id);
        socket.Abort();
        RestartDetached();
        return null;
    }

    /// <summary><c>bridge.session.resumed</c>: the session id, the next token (the presented one is spent), and how many events follow.</summary>
    private byte[] ResumedEvent(int replayed)
    {
        var buffer = BridgeEvents.Rent(BridgeEvents.SessionResumed, Interlocked.Increment(ref _bridgeEventSequence), (Session: this, Replayed: replayed), static (writer, state) =>
        {
            writer.WriteString("session_id"u8, state.Session.Id);
            writer.WriteString("resume_token"u8, state.Session.NextResumeToken(state.Session._resumeTokens!));
            writer.WriteNumber("replayed_events"u8, state.Replayed);
        }, out var length);
        var frame = buffer.AsSpan(0, length).ToArray();
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        return frame;
    }

    /// <summary>Sends the resumed event, then each kept frame, forgetting each once sent; false if the socket failed.</summary>
    private async Task<bool> ReplayAsync(WebSocket socket, byte[] resumed, ResumeBuffer? kept, CancellationToken token)
    {
        try
        {
            await socket.SendAsync(resumed, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
            while (kept is not null && kept.TryPeek(out var frame))
            {
                var payload = frame.Payload;
                switch (frame.Kind)
                {
                    case FrameKind.TextThenBinary:
                        await socket.SendAsync(payload[..frame.Split], WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
                        await socket.SendAsync(payload[frame.Split..], WebSocketMessageType.Binary, endOfMessage: true, token).ConfigureAwait(false);
                        Statistics.FramesOut += 2;
                        break;
                    default:
                        await socket.SendAsync(payload, frame.Kind == FrameKind.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
                        Statistics.FramesOut++;
                        break;
                }

                Statistics.BytesOut += frame.Length;
                Metrics.FrameForwarded(Diagnostics.FrameDirection.Outbound, frame.Kind, frame.Length);
                kept.DropFirst();
            }

            return true;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            return false;
        }
    }
}
