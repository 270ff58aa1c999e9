using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.EndToEnd;

/// <summary>
/// The shipped simulator endpoint exactly as the product maps it (<c>MapRealtimeSimulator</c>: key check, beta dialect
/// for <c>?api-version=…preview</c>, model from <c>?model=</c> or <c>?deployment=</c>) on a real Kestrel listener, with
/// every handshake and every message in both directions recorded. <see cref="FakeUpstream"/> always runs the GA
/// dialect; the Azure-preview scenarios and the byte-for-byte error checks need this one.
/// </summary>
internal sealed class SimulatorUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Handshake> _handshakes = new();
    private readonly Channel<RecordingWebSocket> _sockets = Channel.CreateUnbounded<RecordingWebSocket>();

    private SimulatorUpstream(WebApplication app)
    {
        _app = app;
    }

    /// <summary><c>ws://127.0.0.1:port</c>, no path.</summary>
    public Uri BaseUri { get; private set; } = null!;

    public IReadOnlyCollection<Handshake> Handshakes => _handshakes;

    public static async Task<SimulatorUpstream> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { DeltaInterval = TimeSpan.Zero };
        configure?.Invoke(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        var app = builder.Build();
        var upstream = new SimulatorUpstream(app);
        app.UseWebSockets();
        app.Use(upstream.RecordAsync);
        app.MapRealtimeSimulator("/v1/realtime");
        app.MapRealtimeSimulator("/openai/realtime");
        await app.StartAsync();
        upstream.BaseUri = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal));
        return upstream;
    }

    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery);

    /// <summary>The next socket the simulator accepted.</summary>
    public async Task<RecordingWebSocket> NextSocketAsync(CancellationToken cancellationToken) =>
        await _sockets.Reader.ReadAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        _handshakes.Enqueue(new Handshake(
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));

        if (context.Features.Get<IHttpWebSocketFeature>() is { IsWebSocketRequest: true } feature)
        {
            context.Features.Set<IHttpWebSocketFeature>(new RecordingFeature(feature, _sockets.Writer));
        }

        return next(context);
    }

    private sealed class RecordingFeature(IHttpWebSocketFeature inner, ChannelWriter<RecordingWebSocket> accepted) : IHttpWebSocketFeature
    {
        public bool IsWebSocketRequest => inner.IsWebSocketRequest;

        public async Task<WebSocket> AcceptAsync(WebSocketAcceptContext context)
        {
            var socket = new RecordingWebSocket(await inner.AcceptAsync(context));
            accepted.TryWrite(socket);
            return socket;
        }
    }
}
