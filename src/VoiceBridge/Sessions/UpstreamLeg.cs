using System.Buffers;
using System.Buffers.Text;
using System.Net.WebSockets;
using VoiceBridge.Diagnostics;
using VoiceBridge.Realtime;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>
/// The realtime service's socket: its pump lets the session's <see cref="UpstreamEventObserver"/> look at each event,
/// then queues it for the browser byte-for-byte (audio deltas split into JSON + PCM in binary mode); its send loop
/// sends the server-owned <c>session.update</c> first, then the upstream queue.
/// </summary>
internal sealed class UpstreamLeg : SessionLeg
{
    /// <summary>Upstream events can legitimately be large (a retrieved item with its audio); the cap only stops runaway frames.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    public UpstreamLeg(BridgeSession session, WebSocket socket)
        : base(session, socket, session.ToUpstream, SessionSide.Upstream)
    {
    }

    protected override async ValueTask<LegResult> PumpAsync(CancellationToken token)
    {
        var session = Session;
        while (true)
        {
            var first = await MessageReader.WaitAsync(Socket, SocketToken).ConfigureAwait(false);
            var message = await MessageReader.ReadAsync(Socket, first, MaxMessageBytes, MessageReader.DefaultInitialBufferSize, SocketToken).ConfigureAwait(false);
            switch (message.Kind)
            {
                case InboundKind.Close:
                    return LegResult.Closed(message.CloseStatus, message.CloseDescription);

                case InboundKind.TooBig:
                    Log.UpstreamMessageTooBig(session.Logger, MaxMessageBytes);
                    return LegResult.TooBig;
            }

            if (session.HasEnded)
            {
                message.Release();
                continue;
            }

            session.Statistics.UpstreamFramesIn++;
            if (message.Kind == InboundKind.Text && !session.Continuity.Admit(Socket, message.Span))
            {
                // A replaced connection's noise (UpstreamContinuity): its session events, the acks of replayed items.
                message.Release();
                continue;
            }

            // Server tools (Tools/SessionTools): their events are dropped and session/response events rewritten without
            // them; any other frame passes on its type alone, untouched.
            if (message.Kind == InboundKind.Text && session.Tools is { } tools && !tools.PassUpstream(ref message))
            {
                session.Continuity.Forwarded();
                continue;
            }

            var sampleStart = session.Metrics.StartForwardSample();
            var observer = session.Observer;
            var flags = message.Kind == InboundKind.Text ? observer.Observe(message.Span) : FrameFlags.None;
            var isAudioDelta = (flags & FrameFlags.AudioDelta) != 0;
            var frame = ToBrowserFrame(message, isAudioDelta, session.BinaryAudio).WithSample(sampleStart).WithFlags(flags, observer.Epoch);
            if (await session.EnqueueToBrowserAsync(frame).ConfigureAwait(false) && isAudioDelta)
            {
                observer.AudioQueued();
            }

            session.Continuity.Forwarded();
        }
    }

    protected override void OnSent(in OutboundFrame frame) => Session.Metrics.ForwardSample(FrameDirection.Inbound, frame.SampleStart);

    /// <summary>Pass-through byte-for-byte, except audio deltas in binary mode: JSON without <c>delta</c>, then the PCM.</summary>
    private static OutboundFrame ToBrowserFrame(InboundMessage message, bool isAudioDelta, bool binaryAudio)
    {
        var kind = message.Kind == InboundKind.Text ? FrameKind.Text : FrameKind.Binary;
        if (!binaryAudio || !isAudioDelta)
        {
            return OutboundFrame.Rented(kind, message.Buffer!, message.Length);
        }

        var length = message.Length;
        var split = ArrayPool<byte>.Shared.Rent(length + Base64.GetMaxDecodedFromUtf8Length(length));
        if (!RealtimeCodec.TrySplitAudioDelta(message.Span, split.AsSpan(0, length), out var jsonLength, split.AsSpan(length), out var pcmLength))
        {
            ArrayPool<byte>.Shared.Return(split);
            return OutboundFrame.Rented(kind, message.Buffer!, message.Length);
        }

        message.Release();
        split.AsSpan(length, pcmLength).CopyTo(split.AsSpan(jsonLength));
        return OutboundFrame.Rented(FrameKind.TextThenBinary, split, jsonLength + pcmLength, jsonLength);
    }
}
