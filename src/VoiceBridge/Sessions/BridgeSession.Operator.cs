using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>What an operator can do to a live call (the admin API): inject, push, interrupt, end.</summary>
internal sealed partial class BridgeSession
{
    /// <summary>How long an operator's event may wait for room in a full queue before the request fails (HTTP 409).</summary>
    public static readonly TimeSpan AdminDeliveryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An operator's event into the call (e.g. a system message): trusted, unlike a browser's, but it must be a JSON
    /// object with a string type. It joins the call's own upstream queue and keeps its order.
    /// </summary>
    public ValueTask<AdminDelivery> InjectUpstreamAsync(ReadOnlyMemory<byte> clientEvent, CancellationToken cancellationToken) =>
        DeliverAsync(ToUpstream, clientEvent, epoch: 0, cancellationToken);

    /// <summary>An operator's event to the browser (e.g. a UI notice), through the browser's own queue. A full queue fails the request, not the call.</summary>
    public ValueTask<AdminDelivery> PushToBrowserAsync(ReadOnlyMemory<byte> serverEvent, CancellationToken cancellationToken) =>
        DeliverAsync(ToBrowser, serverEvent, Observer.Epoch, cancellationToken);

    /// <summary>
    /// Stop the assistant now: <c>response.cancel</c> upstream, and to the browser <c>output_audio_buffer.cleared</c>.
    /// Audio of the interrupted response still queued for the browser, or still arriving, is not delivered.
    /// </summary>
    public async ValueTask<AdminDelivery> InterruptAsync(CancellationToken cancellationToken)
    {
        var epoch = Observer.Interrupt();

        // The browser hears "stop playing" before anything the cancel provokes upstream (the cancelled response.done).
        var cleared = await PushToBrowserAsync(Encoding.UTF8.GetBytes(
            $$"""{"type":"output_audio_buffer.cleared","event_id":"event_voicebridge_interrupt_{{epoch}}"}"""), cancellationToken).ConfigureAwait(false);
        var cancelled = await InjectUpstreamAsync("""{"type":"response.cancel","event_id":"event_voicebridge_interrupt"}"""u8.ToArray(), cancellationToken).ConfigureAwait(false);
        return cancelled != AdminDelivery.Queued ? cancelled : cleared;
    }

    /// <summary>An operator ends the call: the browser gets <c>session_ended_by_operator</c> (with the reason) and 1000.</summary>
    public void EndByOperator(string reason) => End(new(EndTrigger.EndedByOperator, Message: reason));

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<AdminDelivery> DeliverAsync(OutboundQueue queue, ReadOnlyMemory<byte> payload, int epoch, CancellationToken cancellationToken)
    {
        if (HasEnded)
        {
            return AdminDelivery.SessionEnded;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        payload.Span.CopyTo(buffer);
        var frame = OutboundFrame.Rented(FrameKind.Text, buffer, payload.Length).WithFlags(FrameFlags.None, epoch);
        if (queue.TryEnqueue(frame))
        {
            return AdminDelivery.Queued;
        }

        using var timeout = new CancellationTokenSource(AdminDeliveryTimeout, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken, _sessionCts.Token);
        try
        {
            await queue.EnqueueAsync(frame, linked.Token).ConfigureAwait(false);
            return AdminDelivery.Queued;
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            frame.Release();
            return timeout.IsCancellationRequested && !HasEnded ? AdminDelivery.QueueFull : AdminDelivery.SessionEnded;
        }
    }
}
