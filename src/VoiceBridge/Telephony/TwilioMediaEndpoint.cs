using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Cluster;
using VoiceBridge.Diagnostics;
using VoiceBridge.Limits;
using VoiceBridge.Sessions;

namespace VoiceBridge.Telephony;

/// <summary>
/// <c>GET /twilio/media</c>, the bidirectional Media Streams socket. The upgrade's signature is checked before the
/// upgrade (403); after it, nothing opens upstream until the <c>start</c> message carries the token minted for its
/// <c>callSid</c> (else close 1008). Then the call runs as a session whose client leg is a <see cref="TwilioLeg"/>.
/// </summary>
internal static class TwilioMediaEndpoint
{
    /// <summary>How long Twilio may take to send <c>start</c> after the upgrade.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    private const int MaxHandshakeMessageBytes = 16 * 1024;

    public static async Task<IResult> HandleAsync(
        HttpContext context,
        TwilioServices twilio,
        SessionFactory factory,
        SessionRegistry registry,
        SessionAdmission admission,
        FleetRegistry fleet,
        SessionServices services,
        ILogger<TwilioCallTokens> logger)
    {
        var clientAddress = VoiceEndpoint.ClientAddress(context);
        var options = twilio.Options;
        var url = TwilioUrls.Requested(options.PublicUrl!, context.Request, webSocket: true);
        if (!TwilioSignature.Verify(options.AuthToken!, context.Request.Headers[TwilioSignature.Header], url))
        {
            TelephonyLog.Refused(logger, TwilioUrls.MediaPath, "bad_signature", clientAddress);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            return Results.StatusCode(StatusCodes.Status400BadRequest);
        }

        if (registry.IsDraining)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { DangerousEnableCompression = false }).ConfigureAwait(false);
        var (start, unanswered) = await ReadStartAsync(socket, services.TimeProvider, logger, context.RequestAborted).ConfigureAwait(false);
        if (start is null || !await twilio.Tokens.TryRedeemAsync(start.Token, start.CallSid).ConfigureAwait(false))
        {
            TelephonyLog.StreamRefused(logger, start?.CallSid ?? "-", start is null ? "no start message" : "invalid stream token");
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.PolicyViolation, "invalid stream token", services, unanswered).ConfigureAwait(false);
            return Results.Empty;
        }

        // The call's own key: many calls arrive from Twilio's few addresses, so per-IP limits would be wrong here.
        var clientKey = "twilio:" + start.CallSid;
        var sessionId = SessionFactory.NewId();
        var admitted = admission.TryAdmit(clientKey);
        IAsyncDisposable? fleetRegistration = null;
        if (admitted.Verdict == AdmissionVerdict.Admitted)
        {
            // In a fleet a phone call takes its place under Cluster:MaxFleetSessions like a browser's.
            var fleetAdmitted = await fleet.TryAdmitAsync(sessionId, clientKey).ConfigureAwait(false);
            fleetRegistration = fleetAdmitted.Registration;
            if (fleetAdmitted.Verdict != AdmissionVerdict.Admitted)
            {
                admitted.Lease?.Dispose();
                admitted = new AdmissionResult(fleetAdmitted.Verdict, null);
            }
        }

        if (admitted.Verdict != AdmissionVerdict.Admitted)
        {
            TelephonyLog.StreamRefused(logger, start.CallSid, "server_busy");
            await CloseQuietlyAsync(socket, WebSocketCloseStatus.EndpointUnavailable, "server busy", services).ConfigureAwait(false);
            return Results.Empty;
        }

        using var lease = admitted.Lease;
        await using var registration = fleetRegistration;
        var call = new TwilioCall(start.CallSid, start.StreamSid);
        var sessionStart = new SessionStart(sessionId, clientAddress, null, BinaryAudio: false, TokenSessionUpdate: null, Call: call, SessionUpdate: twilio.SessionUpdate);
        await using var session = factory.Create(socket, sessionStart, context.RequestAborted);
        using (logger.BeginScope(new SessionLogScope(session.Id)))
        using (logger.BeginScope(new Dictionary<string, object> { ["CallSid"] = call.CallSid }))
        {
            if (twilio.Greeting is { } greeting)
            {
                // Queued before anything the caller says: the assistant speaks first, right after the session.update.
                await session.InjectUpstreamAsync(greeting, context.RequestAborted).ConfigureAwait(false);
            }

            registry.Add(session);
            Log.SessionOpened(logger, session.Id, clientAddress, "-", "twilio", false);
            TelephonyLog.StreamStarted(logger, session.Id, call.CallSid, call.StreamSid);
            SessionOutcome? outcome = null;
            try
            {
                outcome = await session.RunAsync().ConfigureAwait(false);
            }
            finally
            {
                // Out of the fleet before out of the registry, as for a browser's session.
                if (fleetRegistration is not null)
                {
                    await fleetRegistration.DisposeAsync().ConfigureAwait(false);
                }

                VoiceEndpoint.AccountSessionEnd(session, outcome, registry, services, logger, clientAddress);
            }
        }

        return Results.Empty;
    }

    /// <summary>
    /// Reads <c>connected</c> and then <c>start</c>; no start if anything else comes first, or nothing in time. The time
    /// limit ends the wait, not the receive: a cancelled receive aborts the WebSocket, and the refusal is a close 1008
    /// that Twilio must still be sent. A receive still pending at the limit is returned, for the close to finish.
    /// </summary>
    private static async Task<(StreamStart? Start, Task<ValueWebSocketReceiveResult>? Pending)> ReadStartAsync(
        WebSocket socket, TimeProvider time, ILogger logger, CancellationToken aborted)
    {
        using var timeout = new CancellationTokenSource(StartTimeout, time);
        TelephonyLog.AwaitingStart(logger, StartTimeout.TotalSeconds);
        var buffer = new byte[MaxHandshakeMessageBytes];
        Task<ValueWebSocketReceiveResult>? receiving = null;
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult received;
                do
                {
                    if (length == buffer.Length)
                    {
                        return (null, null);
                    }

                    receiving = socket.ReceiveAsync(buffer.AsMemory(length), aborted).AsTask();
                    received = await receiving.WaitAsync(timeout.Token).ConfigureAwait(false);
                    receiving = null;
                    length += received.Count;
                }
                while (!received.EndOfMessage);

                if (received.MessageType != WebSocketMessageType.Text)
                {
                    return (null, null);
                }

                var inbound = TwilioInbound.Parse(buffer.AsSpan(0, length));
                switch (inbound.Event)
                {
                    case TwilioEvent.Connected:
                        continue;
                    case TwilioEvent.Start:
                        return (StreamStart.Read(buffer.AsSpan(0, length)), null);
                    default:
                        return (null, null);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or JsonException)
        {
            return (null, receiving);
        }
    }

    private static async Task CloseQuietlyAsync(
        WebSocket socket, WebSocketCloseStatus status, string description, SessionServices services, Task<ValueWebSocketReceiveResult>? pending = null)
    {
        try
        {
            using var timeout = new CancellationTokenSource(services.SocketOptions.CloseTimeout, services.TimeProvider);
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(status, description, timeout.Token).ConfigureAwait(false);
            }

            // Read until Twilio's answering close (or the timeout), so the close is not lost to a reset; a receive left
            // pending by the start's time limit is the first read (one receive at a time).
            if (pending is not null && (await pending.WaitAsync(timeout.Token).ConfigureAwait(false)).MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var scratch = new byte[1024];
            while (socket.State == WebSocketState.CloseSent)
            {
                var received = await socket.ReceiveAsync(scratch.AsMemory(), timeout.Token).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // Gone already, or the close timed out: the request's end tears the connection down.
        }
        finally
        {
            if (pending is { IsCompleted: false })
            {
                // Not answered in time: aborting ends the receive, whose failure is observed here.
                socket.Abort();
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
                {
                    // The abort.
                }
            }
        }
    }

    private sealed record StreamStart(string CallSid, string StreamSid, string? Token)
    {
        public static StreamStart? Read(ReadOnlySpan<byte> json)
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("start", out var start) || start.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var callSid = start.TryGetProperty("callSid", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            var streamSid = start.TryGetProperty("streamSid", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()
                : document.RootElement.TryGetProperty("streamSid", out var top) && top.ValueKind == JsonValueKind.String ? top.GetString() : null;
            string? token = null;
            if (start.TryGetProperty("customParameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String)
            {
                token = t.GetString();
            }

            return string.IsNullOrEmpty(callSid) || string.IsNullOrEmpty(streamSid) ? null : new StreamStart(callSid, streamSid, token);
        }
    }
}
