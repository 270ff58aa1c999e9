using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using VoiceBridge.Diagnostics;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// The browser's socket: its pump passes each message through the session's <see cref="BrowserEventGate"/> into the
/// upstream queue (waiting when that queue is full, which pushes back onto the browser's TCP); its send loop delivers
/// the browser queue, skipping audio of an interrupted response. The client side of a session: a phone's leg
/// (<see cref="Telephony.TwilioLeg"/>) is one too, translating its protocol at both ends of these loops.
/// </summary>
internal class BrowserLeg : SessionLeg
{
    /// <summary>
    /// A browser's events are small (a 20 ms append is ~1.3 KB, 960 B as binary PCM): their first buffer is 2 KB, the
    /// size of most of them, since every message in flight holds one and the pool keeps what bursts return.
    /// </summary>
    private const int InitialBufferBytes = 2 * 1024;

    public BrowserLeg(BridgeSession session, WebSocket socket)
        : base(session, socket, session.ToBrowser, SessionSide.Browser)
    {
    }

    protected override async ValueTask<LegResult> PumpAsync(CancellationToken token)
    {
        var session = Session;
        var maxBytes = session.Options.MaxMessageBytes;
        while (true)
        {
            var first = await MessageReader.WaitAsync(Socket, SocketToken).ConfigureAwait(false);
            var message = await MessageReader.ReadAsync(Socket, first, maxBytes, InitialBufferBytes, SocketToken).ConfigureAwait(false);
            switch (message.Kind)
            {
                case InboundKind.Close:
                    return LegResult.Closed(message.CloseStatus, message.CloseDescription);

                case InboundKind.TooBig:
                    Log.MessageTooBig(session.Logger, maxBytes);
                    return LegResult.TooBig;
            }

            if (session.HasEnded)
            {
                // Ending: nothing more goes upstream; keep reading to see the browser's close.
                message.Release();
                continue;
            }

            session.BrowserActive(message.Length);
            await ForwardAsync(message, session.Metrics.StartForwardSample(), token).ConfigureAwait(false);
        }
    }

    protected override bool Skip(in OutboundFrame frame) => Session.Observer.IsInterruptedAudio(frame);

    protected override void OnSent(in OutboundFrame frame)
    {
        var metrics = Session.Metrics;
        metrics.ForwardSample(FrameDirection.Outbound, frame.SampleStart);
        metrics.FrameForwarded(FrameDirection.Outbound, frame.Kind, frame.Length);
        var statistics = Session.Statistics;

        // An audio delta in binary mode is two messages: its JSON, then its PCM.
        statistics.FramesOut += frame.Kind == FrameKind.TextThenBinary ? 2 : 1;
        statistics.BytesOut += frame.Length;
    }

    /// <summary>Passes one client message through the gate into the upstream queue; owns the message.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    protected async ValueTask ForwardAsync(InboundMessage message, long sampleStart, CancellationToken token)
    {
        var session = Session;
        var receivedKind = message.Kind == InboundKind.Text ? FrameKind.Text : FrameKind.Binary;
        var receivedBytes = message.Length;
        var verdict = session.Gate.Check(message);
        if (verdict.TurnEnded)
        {
            session.Observer.MarkTurnEnd();
        }

        if (verdict.Forward is { } checkedFrame)
        {
            var frame = checkedFrame.WithSample(sampleStart);
            var queue = session.ToUpstream;
            try
            {
                if (!queue.TryEnqueue(frame))
                {
                    // A full upstream queue waits here, which stops reading the browser: backpressure onto its TCP.
                    session.Metrics.QueueFullWait(FrameDirection.Inbound);
                    await queue.EnqueueAsync(frame, token).ConfigureAwait(false);
                }

                session.Metrics.FrameForwarded(FrameDirection.Inbound, receivedKind, receivedBytes);
            }
            catch (ChannelClosedException)
            {
                frame.Release();
            }
            catch
            {
                // Cancelled (this leg was retired or aborted while waiting for room): the frame never left this method.
                frame.Release();
                throw;
            }
        }

        if (verdict.Error is { } error)
        {
            await session.SendErrorToBrowserAsync(error, verdict.ErrorMessage).ConfigureAwait(false);
        }
    }
}
