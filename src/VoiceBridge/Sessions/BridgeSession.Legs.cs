using System.Net.WebSockets;
using VoiceBridge.Diagnostics;
using VoiceBridge.Realtime;

namespace VoiceBridge.Sessions;

/// <summary>A session outlives its sockets: the upstream leg can be replaced and the browser leg detached and attached again.</summary>
internal sealed partial class BridgeSession
{
    /// <summary>
    /// Puts another upstream connection in place of the current one. The current leg finishes the frame it is sending
    /// and stops; the new one sends the server's <c>session.update</c> and continues with the next queued frame, so
    /// browser frames queued meanwhile arrive in order, once. The old connection is closed with 1000.
    /// </summary>
    internal async Task ReplaceUpstreamAsync(WebSocket next)
    {
        var old = Volatile.Read(ref _upstreamLeg);
        if (old is not null)
        {
            old.Retire();
            await old.Sending.ConfigureAwait(false);
        }

        StartUpstream(next);
        if (old is not null)
        {
            lock (_retiredLegs)
            {
                _retiredLegs.Add(old);
            }

            await CloseRetiredAsync(old, "replaced").ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Takes the browser's socket away while the call goes on: frames for the browser wait in its queue (bounded: a full
    /// queue still ends the call as a slow consumer after <c>SlowClientTimeout</c>) until <see cref="AttachBrowser"/>.
    /// </summary>
    internal async Task DetachBrowserAsync()
    {
        var old = Volatile.Read(ref _browserLeg);
        old.Retire();
        await old.Sending.ConfigureAwait(false);
        old.Abort();
        await old.Completion.ConfigureAwait(false);
        lock (_retiredLegs)
        {
            _retiredLegs.Add(old);
        }
    }

    /// <summary>A new browser socket continues the call where the detached one left off.</summary>
    internal void AttachBrowser(WebSocket socket)
    {
        var leg = new BrowserLeg(this, socket);
        Volatile.Write(ref _browserLeg, leg);
        leg.Start([]);
    }

    /// <summary>A retired upstream connection: its loop has stopped sending, so the close is sent here; then a bounded wait for the answer.</summary>
    private async Task CloseRetiredAsync(SessionLeg old, string reason)
    {
        try
        {
            if (old.Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await old.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, reason, _sessionCts.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // Gone already: the abort below is all that is left.
        }

        await CloseWithinAsync(old, Options.CloseTimeout).ConfigureAwait(false);
    }

    private async Task ConnectUpstreamAsync()
    {
        WebSocket upstream;
        var connectStarted = TimeProvider.GetTimestamp();
        try
        {
            upstream = await _services.Connector.ConnectAsync(_connectCts.Token).ConfigureAwait(false);
            Metrics.UpstreamConnected(TimeProvider.GetElapsedTime(connectStarted));
        }
        catch (UpstreamConnectException e)
        {
            Log.UpstreamConnectFailed(Logger, e.Message, (int?)e.StatusCode ?? 0);
            var code = e.Failure switch
            {
                UpstreamFailure.AuthRejected => BridgeErrors.UpstreamAuthFailed,
                UpstreamFailure.RateLimited => BridgeErrors.UpstreamRateLimited,
                _ => BridgeErrors.UpstreamUnavailable,
            };
            Metrics.UpstreamConnectFailed(code);
            End(new(EndTrigger.UpstreamConnectFailed, ErrorCode: code));
            return;
        }
        catch (OperationCanceledException)
        {
            // The session ended while connecting.
            return;
        }
        catch (Exception e)
        {
            Log.LoopFailed(Logger, "upstream connect", e);
            End(new(EndTrigger.UpstreamConnectFailed, ErrorCode: BridgeErrors.UpstreamUnavailable));
            return;
        }

        StartUpstream(upstream);
        Interlocked.CompareExchange(ref _state, (int)SessionState.Open, (int)SessionState.Connecting);
    }

    /// <param name="priming">For a replacement connection: the configuration and the replayed items it is sent first.</param>
    private void StartUpstream(WebSocket socket, UpstreamPriming? priming = null)
    {
        var leg = new UpstreamLeg(this, socket);
        Continuity.ConnectionStarted(priming);
        Interlocked.Increment(ref _upstreamConnections);
        Volatile.Write(ref _upstreamLeg, leg);

        // The server-owned session.update is always the first upstream frame (then the token's session claim, if any);
        // browser frames queued meanwhile follow in order.
        leg.Start(priming?.Frames ?? _initialUpstreamFrames);
        if (Volatile.Read(ref _released) != 0)
        {
            leg.Abort();
        }
    }
}
