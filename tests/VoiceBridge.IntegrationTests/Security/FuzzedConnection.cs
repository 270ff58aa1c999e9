using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.TestKit.Fuzzing;

namespace VoiceBridge.IntegrationTests.Security;

/// <summary>
/// One raw /voice connection a fuzz lane throws frames at. A background reader drains everything the bridge sends
/// (its error events), so the bridge's queue towards this client never fills and the session is never closed as a
/// slow consumer; it tallies the error codes and completes with the close code the bridge sent (1006 when the
/// connection ended without a close frame).
/// </summary>
internal sealed class FuzzedConnection : IAsyncDisposable
{
    /// <summary>The event type of the lanes' sentinels; the fake upstream answers each with <see cref="SentinelAckType"/>.</summary>
    public const string SentinelType = "fuzz.sentinel";

    public const string SentinelAckType = "fuzz.sentinel.ack";

    private readonly RawWebSocketClient _client;
    private readonly Random _random;
    private readonly SemaphoreSlim _acks = new(0);

    private FuzzedConnection(RawWebSocketClient client, Random random, ConcurrentDictionary<string, int> errorCodes, CancellationToken cancellationToken)
    {
        _client = client;
        _random = random;
        Closed = ReadUntilClosedAsync(client, errorCodes, _acks, cancellationToken);
    }

    /// <summary>Completes with the bridge's close code once it has closed this connection.</summary>
    public Task<int> Closed { get; }

    public int ControlFrames { get; private set; }

    public int Fragments { get; private set; }

    /// <param name="random">Decides where pings and pongs go between fragments (seeded by the caller).</param>
    public static async Task<FuzzedConnection> OpenAsync(Uri uri, Random random, ConcurrentDictionary<string, int> errorCodes, CancellationToken cancellationToken)
    {
        var client = await RawWebSocketClient.ConnectAsync(uri, cancellationToken, "Sec-WebSocket-Protocol: realtime");
        if (client.Status != 101)
        {
            var body = await client.ReadBodyAsync(cancellationToken);
            await client.DisposeAsync();
            throw new InvalidOperationException($"The /voice upgrade answered {client.Status} instead of 101: {body}");
        }

        return new FuzzedConnection(client, random, errorCodes, cancellationToken);
    }

    /// <summary>
    /// Sends a sentinel event and waits until the fake upstream's acknowledgement of it has come back through the
    /// bridge: every frame sent before it has then been checked, and whatever passed has reached the service.
    /// </summary>
    public async Task<bool> SyncAsync(string id, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var sentinel = Encoding.UTF8.GetBytes($$"""{"type":"{{SentinelType}}","event_id":"{{id}}"}""");
        try
        {
            await _client.SendFrameAsync(RawFrame.Text, sentinel, fin: true, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }

        return await _acks.WaitAsync(timeout, cancellationToken);
    }

    /// <summary>
    /// Sends one message as the given fragments (masked, as a browser must), with pings and pongs between some of
    /// them. Returns false when the connection broke under the send (the bridge closed it meanwhile).
    /// </summary>
    public async Task<bool> SendAsync(HostileFrame frame, IReadOnlyList<int> fragmentSizes, CancellationToken cancellationToken)
    {
        try
        {
            var offset = 0;
            for (var i = 0; i < fragmentSizes.Count; i++)
            {
                // Control frames may come before a message and between its fragments (RFC 6455 §5.4), never inside one.
                if (_random.Next(i == 0 ? 16 : 4) == 0)
                {
                    var payload = new byte[_random.Next(126)];
                    _random.NextBytes(payload);
                    await _client.SendFrameAsync(_random.Next(2) == 0 ? RawFrame.Ping : RawFrame.Pong, payload, fin: true, cancellationToken);
                    ControlFrames++;
                }

                var opcode = i > 0 ? RawFrame.Continuation : frame.IsText ? RawFrame.Text : RawFrame.Binary;
                var size = fragmentSizes[i];
                await _client.SendFrameAsync(opcode, frame.Payload.AsSpan(offset, size).ToArray(), fin: i == fragmentSizes.Count - 1, cancellationToken);
                offset += size;
                Fragments++;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Answers the bridge's close (or starts one) and drops the connection.</summary>
    public async Task CloseAsync(int code, CancellationToken cancellationToken)
    {
        try
        {
            await _client.SendCloseAsync(code, cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The bridge already dropped the connection (it aborts after a 1007).
        }
    }


    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync();
        try
        {
            await Closed;
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException or SocketException)
        {
            // The reader ends with the connection.
        }

        _acks.Dispose();
    }

    private static async Task<int> ReadUntilClosedAsync(RawWebSocketClient client, ConcurrentDictionary<string, int> errorCodes, SemaphoreSlim acks, CancellationToken cancellationToken)
    {
        await Task.Yield();
        while (true)
        {
            var frame = await client.ReadFrameAsync(cancellationToken);
            switch (frame?.Opcode)
            {
                case null:
                    return 1006;
                case RawFrame.Close:
                    return frame.CloseCode;
                case RawFrame.Ping or RawFrame.Pong:
                    continue;
                default:
                    var description = Describe(frame);
                    if (description == "event:" + SentinelAckType)
                    {
                        acks.Release();
                    }
                    else
                    {
                        errorCodes.AddOrUpdate(description, 1, (_, n) => n + 1);
                    }

                    continue;
            }
        }
    }

    // "error:<code>" for the bridge's own error events; anything else is named so the test can show it.
    private static string Describe(RawFrame frame)
    {
        if (frame.Opcode != RawFrame.Text || !frame.Fin)
        {
            return $"unexpected frame (opcode {frame.Opcode}, fin {frame.Fin})";
        }

        try
        {
            using var document = JsonDocument.Parse(frame.Payload);
            var root = document.RootElement;
            return root.GetProperty("type").GetString() == "error"
                ? "error:" + root.GetProperty("error").GetProperty("code").GetString()
                : "event:" + root.GetProperty("type").GetString();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "unparseable text frame";
        }
    }
}
