using System.Buffers;
using System.Net.WebSockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;

namespace VoiceBridge.Simulator;

/// <summary>
/// One simulated realtime session on an accepted socket.
/// </summary>
/// <remarks>
/// <code>
///  client ──► ReceiveLoop ──(gate)──► handlers ──┐
///                                                ├──► outbound channel ──► SendLoop ──► client
///  response streamers / VAD turns ──(gate)───────┤       (the only caller of SendAsync/CloseOutputAsync)
///  CloseWhenDue (expiry, shutdown) ──(gate)──────┘
/// </code>
/// All session state is touched only while holding <c>_gate</c>, so handlers, response streaming and the
/// expiry see one consistent conversation and emit events in a well-defined order. A close is queued behind
/// the last event (<c>_closing</c> stops further events); the first loop to finish starts a bounded wait for
/// the other, then everything is cancelled and awaited.
/// </remarks>
internal sealed partial class SimulatorSession : IAsyncDisposable
{
    private const int MaxMessageBytes = 16 * 1024 * 1024;
    private const int InitialReceiveBufferBytes = 16 * 1024;
    private const int OutboundCapacity = 256;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly SimulatorConnection _connection;
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SimulatorSessionConfig _config;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<SimulatorFrame> _outbound = Channel.CreateBounded<SimulatorFrame>(
        new BoundedChannelOptions(OutboundCapacity) { SingleReader = true, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
    private readonly Utf8JsonWriter _json = new(Stream.Null, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _background = [];

    private bool _closing;

    private readonly SimulatorSessionJournal? _journal;

    public SimulatorSession(WebSocket socket, SimulatorConnection connection, SimulatorOptions options, TimeProvider time, ILogger logger, SimulatorJournal? journal = null)
    {
        _socket = socket;
        _connection = connection;
        _options = options;
        _time = time;
        _logger = logger;
        _config = new SimulatorSessionConfig(connection.Dialect, connection.Model, time.GetUtcNow() + EffectiveMaxDuration(options));
        _journal = journal?.Open(_config.SessionId);
    }

    private enum LoopOutcome
    {
        /// <summary>The loop finished its part of a close handshake.</summary>
        Graceful,

        /// <summary>The peer vanished, a socket call failed, or the session was cancelled.</summary>
        Failed,
    }

    private string SessionId => _config.SessionId;

    private CancellationToken Token => _lifetime.Token;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _logger.SessionStarted(SessionId, _connection.Model, _connection.Dialect);
        await EmitSessionAsync("session.created");

        var send = SendLoopAsync();
        var receive = ReceiveLoopAsync();
        var closer = CloseWhenDueAsync(cancellationToken);

        var first = await Task.WhenAny(send, receive);
        if (await first == LoopOutcome.Graceful)
        {
            // Our close went out (wait for the client's answer), or the client's close came in (let the
            // send loop flush what is queued and answer it) — in both cases only for a bounded time.
            var other = first == send ? receive : send;
            try
            {
                await other.WaitAsync(CloseHandshakeTimeout, _time, CancellationToken.None);
            }
            catch (TimeoutException)
            {
                _logger.CloseHandshakeTimedOut(SessionId);
            }
        }

        await _lifetime.CancelAsync();
        if (_socket.State is not (WebSocketState.Closed or WebSocketState.Aborted))
        {
            _socket.Abort();
        }

        await Task.WhenAll(send, receive, closer);
        await AwaitBackgroundAsync();
        _logger.SessionEnded(SessionId, _socket.State, _socket.CloseStatus);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_lifetime.IsCancellationRequested)
        {
            await _lifetime.CancelAsync();
        }

        await AwaitBackgroundAsync();
        while (_outbound.Reader.TryRead(out var frame))
        {
            frame.Text?.Dispose();
        }

        _frame?.Dispose();
        _frame = null;
        _input.Dispose();
        await _json.DisposeAsync();
        _gate.Dispose();
        _lifetime.Dispose();
    }

    private static TimeSpan EffectiveMaxDuration(SimulatorOptions options) =>
        options.MaxSessionDuration > TimeSpan.Zero ? options.MaxSessionDuration : Timeout.InfiniteTimeSpan;

    /// <summary>"60 minutes", "1 minute", "30 seconds", "300 milliseconds": the real text, with a shortened limit still readable.</summary>
    internal static string FormatDuration(TimeSpan duration)
    {
        static string Plural(long n, string unit) => n == 1 ? $"1 {unit}" : $"{n} {unit}s";

        if (duration >= TimeSpan.FromMinutes(1) && duration.Ticks % TimeSpan.TicksPerMinute == 0)
        {
            return Plural((long)duration.TotalMinutes, "minute");
        }

        if (duration >= TimeSpan.FromSeconds(1) && duration.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return Plural((long)duration.TotalSeconds, "second");
        }

        return Plural((long)Math.Ceiling(duration.TotalMilliseconds), "millisecond");
    }

    private async Task<LoopOutcome> SendLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            while (await reader.WaitToReadAsync(Token))
            {
                while (reader.TryRead(out var frame))
                {
                    if (frame.IsClose)
                    {
                        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                        {
                            _logger.Closing(SessionId, frame.CloseStatus, frame.CloseReason ?? string.Empty);
                            await _socket.CloseOutputAsync(frame.CloseStatus, frame.CloseReason, Token);
                        }

                        return LoopOutcome.Graceful;
                    }

                    using (frame.Text)
                    {
                        await _socket.SendAsync(frame.Text!.WrittenMemory, WebSocketMessageType.Text, endOfMessage: true, Token);
                    }
                }
            }

            return LoopOutcome.Graceful;
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            return LoopOutcome.Failed;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.PeerGone(SessionId, ex);
            await _lifetime.CancelAsync();
            return LoopOutcome.Failed;
        }
    }

    private async Task<LoopOutcome> ReceiveLoopAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferBytes);
        var count = 0;
        var discarding = false;
        try
        {
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (buffer.Length >= MaxMessageBytes)
                    {
                        // The rest of this message (and anything after it) is read and dropped until the client closes.
                        await CloseAsync(WebSocketCloseStatus.MessageTooBig, $"Message exceeds the {MaxMessageBytes / (1024 * 1024)} MiB limit.", error: null);
                        discarding = true;
                        count = 0;
                    }
                    else
                    {
                        var grown = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxMessageBytes));
                        buffer.AsSpan(0, count).CopyTo(grown);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = grown;
                    }
                }

                var result = await _socket.ReceiveAsync(buffer.AsMemory(count), Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await CloseAsync(WebSocketCloseStatus.NormalClosure, string.Empty, error: null);
                    return LoopOutcome.Graceful;
                }

                count += result.Count;
                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (!discarding)
                {
                    await OnMessageAsync(result.MessageType, buffer.AsMemory(0, count));
                }

                count = 0;
                if (buffer.Length > 1024 * 1024)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = ArrayPool<byte>.Shared.Rent(InitialReceiveBufferBytes);
                }
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
            return LoopOutcome.Failed;
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            _logger.PeerGone(SessionId, ex);
            await _lifetime.CancelAsync();
            return LoopOutcome.Failed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Ends the session after <see cref="SimulatorOptions.MaxSessionDuration"/>, or with 1001 when the host stops.</summary>
    private async Task CloseWhenDueAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Token);
        var expired = true;
        try
        {
            await Task.Delay(EffectiveMaxDuration(_options), _time, linked.Token);
        }
        catch (OperationCanceledException)
        {
            if (Token.IsCancellationRequested)
            {
                return;
            }

            expired = false;
        }

        try
        {
            if (expired)
            {
                var message = $"Your session hit the maximum duration of {FormatDuration(_options.MaxSessionDuration)}.";
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, message, new SimulatorClientError("session_expired", message));
            }
            else
            {
                await CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down.", error: null);
            }
        }
        catch (OperationCanceledException) when (Token.IsCancellationRequested)
        {
        }
    }

    /// <summary>Queues an optional error and then the close, once; after this no further event is emitted.</summary>
    private async Task CloseAsync(WebSocketCloseStatus status, string reason, SimulatorClientError? error)
    {
        await _gate.WaitAsync(Token);
        try
        {
            if (_closing)
            {
                return;
            }

            if (error is not null)
            {
                await EmitErrorAsync(error, clientEventId: null);
            }

            _closing = true;
            await _outbound.Writer.WriteAsync(SimulatorFrame.Close(status, reason), Token);
            _outbound.Writer.TryComplete();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task OnMessageAsync(WebSocketMessageType messageType, ReadOnlyMemory<byte> message)
    {
        await _gate.WaitAsync(Token);
        try
        {
            if (_closing)
            {
                return;
            }

            if (messageType == WebSocketMessageType.Binary)
            {
                // Binary frames are not part of the protocol; answer like any other malformed event and stay open.
                await EmitErrorAsync(
                    SimulatorClientError.InvalidValue(
                        "type",
                        "Invalid frame: binary WebSocket messages are not supported. Send each client event as a JSON text message."),
                    clientEventId: null);
                return;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(message);
            }
            catch (JsonException ex)
            {
                await EmitErrorAsync(
                    new SimulatorClientError("invalid_json", $"The client event is not valid JSON: {ex.Message}"),
                    clientEventId: null);
                return;
            }

            using (document)
            {
                try
                {
                    await DispatchAsync(document.RootElement);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A simulator bug must not end the caller's session: report it the way the service reports its own faults.
                    _logger.HandlerFailed(SessionId, ex);
                    await EmitErrorAsync(
                        new SimulatorClientError("server_error", "The server had an error while processing your request.", Type: "server_error"),
                        clientEventId: null);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts work the session owns and awaits before it ends (response streaming).</summary>
    private void Track(Task task)
    {
        _background.RemoveAll(t => t.IsCompleted);
        _background.Add(task);
    }

    private async Task AwaitBackgroundAsync()
    {
        Task[] pending;
        await _gate.WaitAsync(CancellationToken.None);
        try
        {
            pending = [.. _background];
            _background.Clear();
        }
        finally
        {
            _gate.Release();
        }

        foreach (var task in pending)
        {
            try
            {
                await task;
            }
            catch (Exception ex)
            {
                _logger.BackgroundTaskFailed(SessionId, ex);
            }
        }
    }
}
