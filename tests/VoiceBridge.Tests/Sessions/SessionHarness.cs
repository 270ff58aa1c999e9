using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Configuration;
using VoiceBridge.Limits;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;
using VoiceBridge.Tests.Diagnostics;

namespace VoiceBridge.Tests.Sessions;

/// <summary>
/// One <see cref="BridgeSession"/> over in-memory socket pairs, on a <see cref="FakeTimeProvider"/>: the test plays
/// the browser (<see cref="Browser"/>) and the realtime service (<see cref="Upstream"/>, once dialled). No Kestrel.
/// </summary>
internal sealed class SessionHarness : IAsyncDisposable
{
    private readonly WebSocketPair _browserPair;
    private readonly MetricsHarness _metrics = new();
    private readonly TestDialer _dialer;
    private readonly CancellationTokenSource _timeout = TestTimeout.Source();

    private readonly List<WebSocketPair> _resumedPairs = [];

    public SessionHarness(Action<BridgeSocketOptions>? configure = null, int browserBufferBytes = 64 * 1024, bool bridgeEvents = false, Action<ContinuityOptions>? continuity = null, RealtimeSessionOptions? session = null, bool resume = false, CancellationToken requestAborted = default)
    {
        var continuityOptions = new ContinuityOptions();
        continuity?.Invoke(continuityOptions);
        Continuity = continuityOptions;
        var options = new BridgeSocketOptions { KeepAliveInterval = TimeSpan.Zero, CloseTimeout = TimeSpan.FromSeconds(2) };
        configure?.Invoke(options);
        Options = options;
        _browserPair = WebSocketPair.Create(new WebSocketPairOptions { PauseWriterThreshold = browserBufferBytes });
        _dialer = new TestDialer(browserBufferBytes);
        var services = CreateServices(_dialer, options, new LimitsOptions(), _metrics, Time, Logs, session, continuityOptions);
        Session = new BridgeSession(services, new SessionStart("vb_test", "127.0.0.1", null, BinaryAudio: false, null, bridgeEvents), _browserPair.Server, requestAborted);
        if (resume)
        {
            ResumeTokens = new ResumeTokens(Microsoft.Extensions.Options.Options.Create(continuityOptions));
            Session.EnableResume(ResumeTokens);
        }
    }

    /// <summary>The resume tokens, when the harness was asked for <c>resume</c>.</summary>
    public ResumeTokens? ResumeTokens { get; }

    public MetricsHarness Metrics => _metrics;

    public FakeTimeProvider Time { get; } = new();

    public BridgeSocketOptions Options { get; }

    public ContinuityOptions Continuity { get; }

    public BridgeSession Session { get; }

    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Logs { get; } = new();

    /// <summary>The test's browser.</summary>
    public WebSocket Browser => _browserPair.Client;

    public WebSocketPair BrowserPair => _browserPair;

    /// <summary>The test's realtime service, once the session has dialled it.</summary>
    public WebSocket Upstream => _dialer.Current!.Server;

    public WebSocketPair UpstreamPair => _dialer.Current!;

    public CancellationToken Token => _timeout.Token;

    public Task<SessionOutcome>? Run { get; private set; }

    /// <summary>Makes the next dial fail (or hang, with null).</summary>
    public Func<CancellationToken, Task<WebSocket>>? DialOverride { get => _dialer.Override; set => _dialer.Override = value; }

    /// <summary>Starts the session; <see cref="Run"/> completes with its outcome.</summary>
    public void Start() => Run = Session.RunAsync();

    /// <summary>Starts the session and waits for its upstream dial; returns the server's first frame (its session.update).</summary>
    public async Task<string> StartConnectedAsync()
    {
        Start();
        await _dialer.Dialled.WaitAsync(Token);
        return await ReceiveTextAsync(Upstream);
    }

    /// <summary>A new browser socket resumes the session (as a resumed request would); the task ends with its leg.</summary>
    public (WebSocketPair Pair, Task<ResumeResult> Run) Resume(int browserBufferBytes = 64 * 1024)
    {
        var pair = WebSocketPair.Create(new WebSocketPairOptions { PauseWriterThreshold = browserBufferBytes });
        _resumedPairs.Add(pair);
        return (pair, Session.ResumeAsync(() => Task.FromResult(pair.Server), "127.0.0.1", Token));
    }

    public Task<WebSocket> DialledAsync() => _dialer.Dialled.WaitAsync(Token);

    /// <summary>The next upstream connection the session dials (the first call returns its initial connection).</summary>
    public async Task<WebSocketPair> NextDialAsync() => await _dialer.NextDialAsync(Token);

    public Task SendTextAsync(WebSocket socket, string json) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, Token);

    public async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var message = await ReceiveAsync(socket);
        Assert.Equal(WebSocketMessageType.Text, message.Type);
        return message.Text;
    }

    public async Task<(WebSocketMessageType Type, string Text, WebSocketCloseStatus? Status, string? Description)> ReceiveAsync(WebSocket socket)
    {
        var buffer = new byte[1 << 20];
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, string.Empty, socket.CloseStatus, socket.CloseStatusDescription);
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, Encoding.UTF8.GetString(buffer, 0, count), null, null);
            }
        }
    }

    /// <summary>Reads until the close frame; returns the text messages before it and the close.</summary>
    public async Task<(List<string> Texts, WebSocketCloseStatus? Status, string? Description)> ReadToCloseAsync(WebSocket socket)
    {
        var texts = new List<string>();
        while (true)
        {
            var message = await ReceiveAsync(socket);
            if (message.Type == WebSocketMessageType.Close)
            {
                return (texts, message.Status, message.Description);
            }

            texts.Add(message.Text);
        }
    }

    /// <summary>Waits for a condition the session reaches on its own threads (no fixed sleep: polls until the test's timeout).</summary>
    public async Task WaitUntilAsync(Func<bool> condition)
    {
        while (!condition())
        {
            await Task.Delay(2, Token);
        }
    }

    /// <summary>
    /// Waits for the session to end, moving the fake clock on meanwhile: the bounded close waits on it, and a test peer
    /// that does not answer a close would otherwise hold the session for ever.
    /// </summary>
    public async Task<SessionOutcome> FinishAsync()
    {
        var run = Run ?? throw new InvalidOperationException("The session was not started.");
        while (!run.IsCompleted)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(run, Task.Delay(5, Token));
            if (Token.IsCancellationRequested)
            {
                throw new TimeoutException($"The session did not end: state {Session.StateName}, outcome {Session.Outcome?.Reason ?? "none"}.");
            }
        }

        return await run;
    }

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("VB_TEST_LOGS") == "1")
        {
            foreach (var entry in Logs)
            {
                Console.Error.WriteLine($"[{entry.Level}] {entry.Message} {entry.Exception}");
            }
        }

        if (Run is not null && !Run.IsCompleted)
        {
            Session.RequestShutdown();
            await FinishAsync();
        }

        await Session.DisposeAsync();
        _browserPair.Dispose();
        foreach (var pair in _resumedPairs)
        {
            pair.Dispose();
        }

        _dialer.Current?.Dispose();
        _dialer.DisposeAll();
        _metrics.Dispose();
        _timeout.Dispose();
    }

    public static SessionServices CreateServices(
        IUpstreamDialer dialer,
        BridgeSocketOptions options,
        LimitsOptions limits,
        MetricsHarness metrics,
        TimeProvider time,
        ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> logs,
        RealtimeSessionOptions? session = null,
        ContinuityOptions? continuity = null) =>
        new(
            dialer,
            Microsoft.Extensions.Options.Options.Create(options),
            Microsoft.Extensions.Options.Options.Create(session ?? new RealtimeSessionOptions()),
            Microsoft.Extensions.Options.Options.Create(new UpstreamOptions()),
            Microsoft.Extensions.Options.Options.Create(limits),
            metrics.Metrics,
            time,
            new ListLogger<BridgeSession>(logs),
            Microsoft.Extensions.Options.Options.Create(continuity ?? new ContinuityOptions()));

    public static string ErrorCode(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.GetProperty("error").GetProperty("code").GetString()!;
    }

    internal sealed class TestDialer(int bufferBytes) : IUpstreamDialer
    {
        private readonly TaskCompletionSource<WebSocket> _dialled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly System.Threading.Channels.Channel<WebSocketPair> _dials = System.Threading.Channels.Channel.CreateUnbounded<WebSocketPair>();
        private readonly List<WebSocketPair> _all = [];

        public Func<CancellationToken, Task<WebSocket>>? Override { get; set; }

        public WebSocketPair? Current { get; private set; }

        public Task<WebSocket> Dialled => _dialled.Task;

        public Task<WebSocket> ConnectAsync(CancellationToken cancellationToken)
        {
            if (Override is { } dial)
            {
                return dial(cancellationToken);
            }

            var pair = WebSocketPair.Create(new WebSocketPairOptions { PauseWriterThreshold = bufferBytes });
            lock (_all)
            {
                _all.Add(pair);
            }

            Current = pair;
            _dialled.TrySetResult(pair.Server);
            _dials.Writer.TryWrite(pair);
            return Task.FromResult(pair.Client);
        }

        /// <summary>Every dial in order (the first is the session's initial connection).</summary>
        public ValueTask<WebSocketPair> NextDialAsync(CancellationToken cancellationToken) => _dials.Reader.ReadAsync(cancellationToken);

        public void DisposeAll()
        {
            lock (_all)
            {
                foreach (var pair in _all)
                {
                    pair.Dispose();
                }
            }
        }
    }
}

internal sealed class ListLogger<T>(ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> entries) : ILogger<T>
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        entries.Enqueue((logLevel, formatter(state, exception), exception));
}
