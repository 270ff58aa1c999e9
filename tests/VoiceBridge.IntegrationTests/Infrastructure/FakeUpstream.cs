using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using VoiceBridge.Simulator;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>What the fake upstream saw of one handshake.</summary>
public sealed record Handshake(string PathAndQuery, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// The tests' realtime service: the shipped simulator on a real Kestrel listener on 127.0.0.1, behind a harness
/// that can make it fail the way real services and networks do — reject the handshake with a status, accept
/// slowly, drop TCP without a close frame, close with a code, stop answering pings, go slow.
/// </summary>
internal sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Channel<UpstreamConnection> _connections = Channel.CreateUnbounded<UpstreamConnection>();
    private readonly ConcurrentQueue<Handshake> _handshakes = new();
    private readonly ChangeSignal _handshakeArrived = new();
    private int _rejectionsLeft;
    private TcpFreezeProxy? _proxy;

    private FakeUpstream(WebApplication app, SimulatorOptions simulatorOptions, SimulatorJournal journal)
    {
        Journal = journal;
        _app = app;
        SimulatorOptions = simulatorOptions;
    }

    public Uri Url { get; private set; } = null!;

    public SimulatorOptions SimulatorOptions { get; }

    /// <summary>HTTP status to answer handshakes with instead of upgrading (see <see cref="RejectNext"/>).</summary>
    public int RejectStatus { get; private set; }

    /// <summary>Delay before accepting an upgrade (to trip the bridge's connect timeout).</summary>
    public TimeSpan AcceptDelay { get; set; }

    /// <summary>When false, accepted sockets are not handed to the simulator: the test drives them alone.</summary>
    public bool RunSimulator { get; set; } = true;

    public int HandshakeCount => _handshakes.Count;

    /// <summary>Waits until at least <paramref name="count"/> handshakes have arrived (accepted or not).</summary>
    public Task WaitForHandshakesAsync(int count, CancellationToken cancellationToken) =>
        _handshakeArrived.WaitUntilAsync(() => _handshakes.Count >= count, cancellationToken);

    public IReadOnlyCollection<Handshake> Handshakes => _handshakes;

    /// <summary>The items each simulated session received (what a reconnecting bridge replayed into it).</summary>
    public SimulatorJournal Journal { get; } = new();

    /// <param name="timeProvider">The simulator's clock (its session cap runs on it); the system's by default.</param>
    public static async Task<FakeUpstream> StartAsync(Action<SimulatorOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var options = new SimulatorOptions { DeltaInterval = TimeSpan.Zero };
        configure?.Invoke(options);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton<RealtimeSimulator>();
        var journal = new SimulatorJournal();
        builder.Services.AddSingleton(journal);
        var app = builder.Build();
        var fake = new FakeUpstream(app, options, journal);
        app.UseWebSockets();
        app.Map("/v1/realtime", fake.HandleAsync);
        await app.StartAsync();
        var port = new Uri(app.Urls.First()).Port;
        fake._proxy = new TcpFreezeProxy(port);
        fake.Url = new Uri($"ws://127.0.0.1:{fake._proxy.Port}/v1/realtime");
        return fake;
    }

    /// <summary>Answer the next <paramref name="count"/> handshakes (or all, with int.MaxValue) with HTTP <paramref name="status"/>.</summary>
    public void RejectNext(int count, int status)
    {
        RejectStatus = status;
        Volatile.Write(ref _rejectionsLeft, count);
    }

    /// <summary>The next socket the bridge opens, once accepted.</summary>
    public async Task<UpstreamConnection> NextConnectionAsync(CancellationToken cancellationToken) =>
        await _connections.Reader.ReadAsync(cancellationToken);

    /// <summary>The network goes dark: connections stay open but nothing crosses, not even pongs.</summary>
    public void FreezeNetwork() => _proxy?.Freeze();

    public async ValueTask DisposeAsync()
    {
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        _handshakes.Enqueue(new Handshake(
            context.Request.Path + context.Request.QueryString,
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
        _handshakeArrived.Notify();

        if (Interlocked.Decrement(ref _rejectionsLeft) >= 0)
        {
            context.Response.StatusCode = RejectStatus;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "rejected by the fault harness", code = RejectStatus } });
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (AcceptDelay > TimeSpan.Zero)
        {
            await Task.Delay(AcceptDelay, context.RequestAborted);
        }

        var subProtocol = context.WebSockets.WebSocketRequestedProtocols.Contains("realtime") ? "realtime" : null;
        using var inner = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
        var socket = new FaultInjectingWebSocket(inner);
        var connection = new UpstreamConnection(socket, context);
        _connections.Writer.TryWrite(connection);

        var model = context.Request.Query["model"].ToString();
        try
        {
            if (RunSimulator)
            {
                var simulator = context.RequestServices.GetRequiredService<RealtimeSimulator>();
                await simulator.RunSessionAsync(socket, new SimulatorConnection(model, SimulatorDialect.GA), connection.Token);
            }
            else
            {
                await connection.RunPassiveAsync();
            }
        }
        finally
        {
            connection.MarkEnded();
        }
    }
}

/// <summary>One upstream socket as the fake sees it, with the controls a test uses to misbehave.</summary>
internal sealed class UpstreamConnection
{
    private readonly HttpContext _context;
    private readonly CancellationTokenSource _cts;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal UpstreamConnection(FaultInjectingWebSocket socket, HttpContext context)
    {
        Socket = socket;
        _context = context;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
    }

    public FaultInjectingWebSocket Socket { get; }

    public IReadOnlyCollection<RecordedFrame> Received => Socket.Received;

    /// <summary>Completes when the fake's side of this connection has finished (closed, aborted or dropped).</summary>
    public Task Ended => _ended.Task;

    internal CancellationToken Token => _cts.Token;

    /// <summary>Drop the TCP connection without a close frame.</summary>
    public void DropTcp()
    {
        _context.Abort();
        _cts.Cancel();
    }

    /// <summary>Close from the service's side with a code, as the real service does on expiry (1001) or beta (4000).</summary>
    public Task CloseAsync(System.Net.WebSockets.WebSocketCloseStatus status, string? reason, CancellationToken cancellationToken) =>
        Socket.CloseOutputAsync(status, reason, cancellationToken);

    public Task SendTextAsync(string json, CancellationToken cancellationToken) => Socket.SendTextAsync(json, cancellationToken);

    internal void MarkEnded() => _ended.TrySetResult();

    /// <summary>Without the simulator: read (and record) until the bridge closes, then answer the close.</summary>
    internal async Task RunPassiveAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await Socket.ReceiveAsync(buffer.AsMemory(), _cts.Token);
                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await Socket.CloseOutputAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }
            }
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException or IOException)
        {
            // The bridge went away or the test dropped the connection.
        }
    }
}
