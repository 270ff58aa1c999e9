using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using VoiceBridge.Diagnostics;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// One socket of a session and its two loops: a receive pump that hands each message to the session, and a send
/// loop that drains the session's queue for this socket. Both return a <see cref="LegResult"/> instead of deciding
/// how the session ends; the session decides (<see cref="SessionEnding"/>). The queue belongs to the session, so a
/// leg can be retired and another take over the same queue with nothing lost or reordered.
/// </summary>
internal abstract class SessionLeg : IDisposable
{
    private readonly CancellationTokenSource _abort = new();
    private readonly OutboundQueue _outbound;
    private volatile bool _retired;

    protected SessionLeg(BridgeSession session, WebSocket socket, OutboundQueue outbound, SessionSide side)
    {
        Session = session;
        Socket = socket;
        _outbound = outbound;
        Side = side;
    }

    public WebSocket Socket { get; }

    public SessionSide Side { get; }

    /// <summary>Retired legs no longer speak for the session: their results are ignored and their send loop stops.</summary>
    public bool IsRetired => _retired;

    /// <summary>The send loop; once it has returned, nothing more is taken from the queue by this leg.</summary>
    public Task<LegResult> Sending { get; private set; } = Task.FromResult(LegResult.Stopped);

    /// <summary>Both loops, and the linger after a close, have ended. Never faults.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    protected BridgeSession Session { get; }

    /// <summary>
    /// What the legs' socket reads and sends are given instead of the leg's token. A cancellable token costs
    /// registrations on every call (the WebSocket registers its own abort, and a cancellable send leaves its fast path;
    /// Kestrel's stream or the upstream's socket register again below), while <see cref="Abort"/> aborts the socket,
    /// which ends a pending read or send just as those registrations would. The leg's token still ends what waits on
    /// the session rather than on the socket (a full queue).
    /// </summary>
    protected static CancellationToken SocketToken => CancellationToken.None;

    protected string Name => Side == SessionSide.Browser ? "browser" : "upstream";

    public void Start(ReadOnlyMemory<byte>[] initialFrames)
    {
        Sending = SendAsync(initialFrames, _abort.Token);
        Completion = RunAsync(ReceiveAsync(_abort.Token), Sending);
    }

    /// <summary>Stops the send loop after the frame it is sending (if any): a new leg continues with the next one.</summary>
    public void Retire()
    {
        _retired = true;
        _outbound.Wake();
    }

    /// <summary>The end of the bounded close: cancels this leg's I/O and aborts its socket.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Released already.
        }

        Socket.Abort();
    }

    /// <summary>
    /// Called by the session once this leg's loops have ended. The upstream's socket is the session's own; the browser's
    /// belongs to its request, which disposes it after lingering (ASP.NET Core aborts the connection when an aborted
    /// server socket is disposed, and that abort is a reset).
    /// </summary>
    public void Dispose()
    {
        _abort.Dispose();
        if (Side == SessionSide.Upstream)
        {
            Socket.Dispose();
        }
    }

    /// <summary>Reads one message after another and gives each to the session, until the peer closes or goes.</summary>
    protected abstract ValueTask<LegResult> PumpAsync(CancellationToken token);

    /// <summary>Whether a queued frame is to be skipped rather than sent (audio of an interrupted response).</summary>
    protected virtual bool Skip(in OutboundFrame frame) => false;

    /// <summary>Whether the bridge's final <c>error</c> event goes out before the close (not to a peer that speaks another protocol).</summary>
    protected virtual bool SendsFinalEvent => true;

    /// <summary>The close status this peer is sent for the session's decision (a phone's media socket knows fewer codes).</summary>
    protected virtual WebSocketCloseStatus CloseStatusFor(WebSocketCloseStatus status) => status;

    /// <summary>After a frame was sent: statistics and metrics.</summary>
    protected abstract void OnSent(in OutboundFrame frame);

    protected static bool IsSocketEnd(Exception e) =>
        e is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException or ConnectionAbortedException;

    private async Task RunAsync(Task<LegResult> receiving, Task<LegResult> sending)
    {
        var first = await Task.WhenAny(receiving, sending).ConfigureAwait(false);
        Session.OnLegEnded(this, await first.ConfigureAwait(false));
        Session.OnLegEnded(this, await (first == receiving ? sending : receiving).ConfigureAwait(false));
    }

    private async Task<LegResult> ReceiveAsync(CancellationToken token)
    {
        LegResult result;
        try
        {
            result = await PumpAsync(token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsSocketEnd(e))
        {
            result = SocketEnded(e);
        }
        catch (Exception e)
        {
            Log.LoopFailed(Session.Logger, Name + " receive", e);
            return LegResult.Failed(e);
        }

        if (result.End is LegEnd.MessageTooBig or LegEnd.ProtocolError && !_retired)
        {
            // Decide now, then linger: a socket closed with unread input makes the kernel reset the connection, and a
            // reset discards the close frame the peer has not read yet (it would see 1006 instead of our close). After a
            // protocol error the WebSocket cannot read on; the endpoint lingers below it (LingeringUpgrade).
            Session.OnLegEnded(this, result);
            if (result.End == LegEnd.MessageTooBig)
            {
                await LingerAsync(token).ConfigureAwait(false);
            }
        }

        return result;
    }

    /// <summary>Reads and discards until the peer's close, a failure, or the session's bounded close aborts this leg.</summary>
    private async Task LingerAsync(CancellationToken token)
    {
        var buffer = new byte[256];
        try
        {
            while (true)
            {
                var received = await Socket.ReceiveAsync(buffer.AsMemory(), token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (IsSocketEnd(e))
        {
            // The peer went, or the bounded close ended the linger.
        }
    }

    private LegResult SocketEnded(Exception e)
    {
        if (_retired)
        {
            return LegResult.Stopped;
        }

        Log.SocketEnded(Session.Logger, Name, e.GetBaseException().Message);

        // A protocol error (invalid UTF-8, a bad frame) makes the WebSocket layer send its own close (1007, 1002), abort,
        // and throw "faulted" with no inner exception; a connection that broke throws with the I/O error inside.
        return e is WebSocketException { WebSocketErrorCode: WebSocketError.Faulted, InnerException: null } ? new LegResult(LegEnd.ProtocolError) : LegResult.Vanished;
    }

    /// <summary>The only code that sends on this socket: the initial frames, then frames in queue order, then the close.</summary>
    private async Task<LegResult> SendAsync(ReadOnlyMemory<byte>[] initialFrames, CancellationToken token)
    {
        try
        {
            foreach (var frame in initialFrames)
            {
                if (_outbound.IsClosing)
                {
                    break;
                }

                await Socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, SocketToken).ConfigureAwait(false);
            }

            // No token on the wait: every way a session ends completes the queue, which ends the wait, and retiring a leg
            // wakes it; an uncancellable wait reuses the channel's one waiter instead of allocating one per idle period.
            var reader = _outbound.Reader;
            while (!_retired && _outbound.UrgentClose is null)
            {
                if (!reader.TryRead(out var frame))
                {
                    if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                    {
                        break;
                    }

                    continue;
                }

                if (frame.Kind == FrameKind.Wake || Skip(frame))
                {
                    frame.Release();
                    continue;
                }

                try
                {
                    await SendFrameAsync(frame, SocketToken).ConfigureAwait(false);
                    OnSent(frame);
                }
                finally
                {
                    frame.Release();
                }
            }

            if (!_retired && _outbound.Close is { } close)
            {
                await CloseAsync(close, token).ConfigureAwait(false);
            }

            return LegResult.Stopped;
        }
        catch (Exception e) when (IsSocketEnd(e))
        {
            return SocketEnded(e);
        }
        catch (Exception e)
        {
            Log.LoopFailed(Session.Logger, Name + " send", e);
            return LegResult.Failed(e);
        }
    }

    /// <summary>Sends one queued frame; a leg that speaks another protocol (the phone's) translates it here instead.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected virtual async ValueTask SendFrameAsync(OutboundFrame frame, CancellationToken token)
    {
        var payload = frame.Payload;
        switch (frame.Kind)
        {
            case FrameKind.Text:
                await Socket.SendAsync(payload, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
                break;
            case FrameKind.Binary:
                await Socket.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, token).ConfigureAwait(false);
                break;
            case FrameKind.TextThenBinary:
                await Socket.SendAsync(payload[..frame.Split], WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
                await Socket.SendAsync(payload[frame.Split..], WebSocketMessageType.Binary, endOfMessage: true, token).ConfigureAwait(false);
                break;
        }
    }

    private async ValueTask CloseAsync(CloseRequest close, CancellationToken token)
    {
        if (close.AbortOnly)
        {
            Socket.Abort();
            return;
        }

        if (close.AlreadyClosing)
        {
            return;
        }

        if (Socket.State == WebSocketState.Open && !close.FinalEvent.IsEmpty && SendsFinalEvent)
        {
            await Socket.SendAsync(close.FinalEvent, WebSocketMessageType.Text, endOfMessage: true, token).ConfigureAwait(false);
        }

        if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            await Socket.CloseOutputAsync(CloseStatusFor(close.Status), close.Description, token).ConfigureAwait(false);
        }
    }
}
