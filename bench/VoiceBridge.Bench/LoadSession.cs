using System.Diagnostics;
using System.Net.WebSockets;

namespace VoiceBridge.Bench;

/// <summary>
/// One browser: a WebSocket that waits for <c>session.created</c>, then sends a 20 ms frame every 20 ms
/// (its own send loop) while its receive loop times every echoed frame and checks order.
/// </summary>
internal sealed class LoadSession : IDisposable
{
    private static ReadOnlySpan<byte> ErrorType => "\"type\":\"error\""u8;

    private static ReadOnlySpan<byte> SessionCreatedType => "\"type\":\"session.created\""u8;

    private readonly ClientWebSocket _socket;
    private readonly bool _binary;
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private long _sent;
    private long _received;
    private long _lastSequence = -1;

    private LoadSession(ClientWebSocket socket, bool binary)
    {
        _socket = socket;
        _binary = binary;
    }

    /// <summary>Round trips (Stopwatch ticks) of frames sent inside the measured window.</summary>
    public List<long> RoundTrips { get; } = new(1024);

    public long Sent => Interlocked.Read(ref _sent);

    public long Received => Interlocked.Read(ref _received);

    public long Reordered { get; private set; }

    public long Errors { get; private set; }

    public string? FirstError { get; private set; }

    /// <summary>From the start of the connect to <c>session.created</c>.</summary>
    public TimeSpan TimeToSessionCreated { get; private set; }

    public WebSocketState State => _socket.State;

    public static async Task<LoadSession> ConnectAsync(Uri url, bool binary, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        var session = new LoadSession(socket, binary);
        try
        {
            var started = Stopwatch.GetTimestamp();
            await socket.ConnectAsync(url, cancellationToken).ConfigureAwait(false);
            while (true)
            {
                var (type, count) = await session.ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
                if (type == WebSocketMessageType.Close)
                {
                    throw new WebSocketException($"closed before session.created ({socket.CloseStatus} {socket.CloseStatusDescription})");
                }

                if (type == WebSocketMessageType.Text && session._receiveBuffer.AsSpan(0, count).IndexOf(SessionCreatedType) >= 0)
                {
                    break;
                }
            }

            session.TimeToSessionCreated = Stopwatch.GetElapsedTime(started);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Sends frames every <paramref name="period"/> until <paramref name="stop"/>, first after <paramref name="phase"/>.</summary>
    public async Task SendLoopAsync(TimeSpan phase, TimeSpan period, CancellationToken stop)
    {
        var pcm = new byte[BenchFrame.PcmBytes];
        BenchFrame.FillPcm(pcm);
        var text = new byte[BenchFrame.TextFrameLength];
        try
        {
            await Task.Delay(phase, stop).ConfigureAwait(false);
            using var timer = new PeriodicTimer(period);
            long sequence = 0;
            do
            {
                BenchFrame.WriteMarker(pcm, sequence++, Stopwatch.GetTimestamp());
                if (_binary)
                {
                    await _socket.SendAsync(pcm, WebSocketMessageType.Binary, true, CancellationToken.None).ConfigureAwait(false);
                }
                else
                {
                    var length = BenchFrame.WriteTextAppend(pcm, text);
                    await _socket.SendAsync(text.AsMemory(0, length), WebSocketMessageType.Text, true, CancellationToken.None).ConfigureAwait(false);
                }

                Interlocked.Increment(ref _sent);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Receives until the socket closes; frames sent inside <paramref name="window"/> are timed.</summary>
    public async Task ReceiveLoopAsync(MeasureWindow window, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var (type, count) = await ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
                var now = Stopwatch.GetTimestamp();
                long sequence;
                long sentAt;
                var message = _receiveBuffer.AsSpan(0, count);
                if (type == WebSocketMessageType.Close)
                {
                    return;
                }

                if (type == WebSocketMessageType.Binary)
                {
                    if (!BenchFrame.TryReadMarker(message, out sequence, out sentAt))
                    {
                        continue;
                    }
                }
                else if (!BenchFrame.TryReadMarkerFromDelta(message, out sequence, out sentAt))
                {
                    if (message.IndexOf(ErrorType) >= 0)
                    {
                        Errors++;
                        FirstError ??= System.Text.Encoding.UTF8.GetString(message);
                    }

                    continue; // session.created, the binary mode's delta header, anything else.
                }

                if (sequence <= _lastSequence)
                {
                    Reordered++;
                }
                else
                {
                    _lastSequence = sequence;
                }

                if (window.Contains(sentAt))
                {
                    RoundTrips.Add(now - sentAt);
                }

                Interlocked.Increment(ref _received);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench done", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            _socket.Abort();
        }
    }

    /// <summary>Drops the TCP connection with no close handshake (the close scenario).</summary>
    public void Abort() => _socket.Abort();

    /// <summary>One request/answer: sends one frame and waits for its echo (the idle scenario's final check).</summary>
    public async Task<bool> RoundTripOnceAsync(long sequence, CancellationToken cancellationToken)
    {
        var pcm = new byte[BenchFrame.PcmBytes];
        BenchFrame.FillPcm(pcm);
        BenchFrame.WriteMarker(pcm, sequence, Stopwatch.GetTimestamp());
        if (_binary)
        {
            await _socket.SendAsync(pcm, WebSocketMessageType.Binary, true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var text = new byte[BenchFrame.TextFrameLength];
            var length = BenchFrame.WriteTextAppend(pcm, text);
            await _socket.SendAsync(text.AsMemory(0, length), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
        }

        while (true)
        {
            var (type, count) = await ReceiveMessageAsync(cancellationToken).ConfigureAwait(false);
            if (type == WebSocketMessageType.Close)
            {
                return false;
            }

            var message = _receiveBuffer.AsSpan(0, count);
            var found = type == WebSocketMessageType.Binary
                ? BenchFrame.TryReadMarker(message, out var seq, out _)
                : BenchFrame.TryReadMarkerFromDelta(message, out seq, out _);
            if (found && seq == sequence)
            {
                return true;
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    private async Task<(WebSocketMessageType Type, int Count)> ReceiveMessageAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            var result = await _socket.ReceiveAsync(_receiveBuffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
            count += result.Count;
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, 0);
            }

            if (result.EndOfMessage)
            {
                return (result.MessageType, count);
            }

            if (count == _receiveBuffer.Length)
            {
                throw new WebSocketException("a message larger than 64 KB: not an echo of the load");
            }
        }
    }
}
