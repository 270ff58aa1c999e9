using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace VoiceBridge.Bench;

/// <summary>
/// The simplest upstream that can stand in for the Realtime API: <c>session.created</c> on connect, every
/// <c>input_audio_buffer.append</c> answered at once with a <c>response.output_audio.delta</c> carrying the
/// same base64 audio, everything else (the bridge's <c>session.update</c>) ignored. A binary frame (only the
/// baseline sends one, since the bridge turns PCM into appends) is answered the way the bridge answers a
/// browser on <c>?audio=binary</c>: the delta's JSON without <c>delta</c>, then the PCM as one binary frame.
/// </summary>
internal sealed class EchoUpstream : IAsyncDisposable
{
    private static readonly byte[] SessionCreated =
        "{\"type\":\"session.created\",\"event_id\":\"evt_bench_0\",\"session\":{\"id\":\"sess_bench\",\"object\":\"realtime.session\",\"type\":\"realtime\"}}"u8.ToArray();

    private static ReadOnlySpan<byte> DeltaPrefix =>
        "{\"type\":\"response.output_audio.delta\",\"event_id\":\"evt_bench\",\"response_id\":\"resp_bench\",\"item_id\":\"item_bench\",\"output_index\":0,\"content_index\":0,\"delta\":\""u8;

    private static ReadOnlySpan<byte> DeltaSuffix => "\"}"u8;

    private static readonly byte[] DeltaHeaderOnly =
        "{\"type\":\"response.output_audio.delta\",\"event_id\":\"evt_bench\",\"response_id\":\"resp_bench\",\"item_id\":\"item_bench\",\"output_index\":0,\"content_index\":0}"u8.ToArray();

    private readonly WebApplication _app;
    private int _live;
    private long _connections;

    private EchoUpstream(WebApplication app) => _app = app;

    /// <summary>WebSockets open now (upstream sockets the bridge still holds, or baseline sessions).</summary>
    public int Live => Volatile.Read(ref _live);

    public long Connections => Interlocked.Read(ref _connections);

    public Uri Url { get; private set; } = null!;

    public static async Task<EchoUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0);
            kestrel.Limits.MaxConcurrentConnections = null;
            kestrel.Limits.MaxConcurrentUpgradedConnections = null;
        });
        var app = builder.Build();
        var echo = new EchoUpstream(app);
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.Map("/v1/realtime", echo.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        echo.Url = new Uri(address.Replace("http://", "ws://", StringComparison.Ordinal) + "/v1/realtime");
        return echo;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        Interlocked.Increment(ref _live);
        Interlocked.Increment(ref _connections);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var reply = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            var token = context.RequestAborted;
            await socket.SendAsync(SessionCreated, WebSocketMessageType.Text, true, token).ConfigureAwait(false);
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, count).CopyTo(bigger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = bigger;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(count), token).ConfigureAwait(false);
                    count += result.Count;
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, token).ConfigureAwait(false);
                    return;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    await socket.SendAsync(DeltaHeaderOnly, WebSocketMessageType.Text, true, token).ConfigureAwait(false);
                    await socket.SendAsync(buffer.AsMemory(0, count), WebSocketMessageType.Binary, true, token).ConfigureAwait(false);
                    continue;
                }

                if (!TryGetAppendAudio(buffer.AsSpan(0, count), out var audioStart, out var audioLength))
                {
                    continue; // session.update and anything else: ignored.
                }

                var length = DeltaPrefix.Length + audioLength + DeltaSuffix.Length;
                if (reply.Length < length)
                {
                    ArrayPool<byte>.Shared.Return(reply);
                    reply = ArrayPool<byte>.Shared.Rent(length);
                }

                DeltaPrefix.CopyTo(reply);
                buffer.AsSpan(audioStart, audioLength).CopyTo(reply.AsSpan(DeltaPrefix.Length));
                DeltaSuffix.CopyTo(reply.AsSpan(DeltaPrefix.Length + audioLength));
                await socket.SendAsync(reply.AsMemory(0, length), WebSocketMessageType.Text, true, token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            // The peer went away (the close scenario does that on purpose).
        }
        finally
        {
            Interlocked.Decrement(ref _live);
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(reply);
        }
    }

    private static bool TryGetAppendAudio(ReadOnlySpan<byte> json, out int start, out int length)
    {
        start = 0;
        length = 0;
        var isAppend = false;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    isAppend = reader.ValueTextEquals("input_audio_buffer.append"u8);
                    if (!isAppend)
                    {
                        return false;
                    }
                }
                else if (reader.ValueTextEquals("audio"u8))
                {
                    reader.Read();
                    start = (int)reader.TokenStartIndex + 1;
                    length = reader.ValueSpan.Length;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return isAppend && length > 0;
    }
}
