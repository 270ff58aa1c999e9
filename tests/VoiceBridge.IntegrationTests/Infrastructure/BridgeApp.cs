using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Display;
using VoiceBridge.Sessions;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>
/// The whole bridge on a real Kestrel listener on 127.0.0.1 (a dynamic port), configured like an operator would,
/// with every log line captured so tests can check what reaches the logs.
/// </summary>
internal sealed class BridgeApp : WebApplicationFactory<Program>
{
    public const string TestApiKey = "sk-test-7f3a9c1e5b2d4f6a8c0e1b3d5f7a9c2e";

    private readonly Dictionary<string, string?> _settings;
    private readonly string _environment;
    private readonly TimeProvider? _timeProvider;

    /// <param name="timeProvider">
    /// The bridge's clock instead of the system's, e.g. a <c>FakeTimeProvider</c> a test advances to reach a limit
    /// (idle, duration, audio rate) without waiting for it. Everything the bridge times through DI follows it: limits,
    /// the slow-client timeout, the close budget, the upstream connect timeout and retries.
    /// </param>
    /// <param name="port">The loopback port to listen on; 0 = any free one (a fleet node that others must reach names its own).</param>
    public BridgeApp(Uri? upstream, IDictionary<string, string?>? settings = null, string environment = "Production", TimeProvider? timeProvider = null, int port = 0)
    {
        _environment = environment;
        _timeProvider = timeProvider;
        _settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["VoiceBridge:Upstream:Provider"] = "OpenAI",
            ["VoiceBridge:Upstream:Url"] = upstream?.ToString(),
            ["VoiceBridge:Upstream:ApiKey"] = TestApiKey,
            ["VoiceBridge:Upstream:ConnectTimeout"] = "00:00:03",
            ["VoiceBridge:Upstream:RetryBaseDelay"] = "00:00:00.020",
            // Every level reaches the capture (the framework's categories stay at their appsettings.json overrides).
            ["Serilog:MinimumLevel:Default"] = "Verbose",

            // As the Docker image runs (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 turns it on there): Kestrel runs
            // the bridge's continuations on the socket thread, so every test exercises the shipped scheduling.
            ["VoiceBridge:WebSocket:InlineScheduling"] = "true",
        };
        if (upstream is null)
        {
            _settings.Remove("VoiceBridge:Upstream:Url");
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        UseKestrel(options => options.Listen(IPAddress.Loopback, port));
    }

    public CapturedLogs Logs { get; } = new();

    public Uri BaseUri
    {
        get
        {
            StartServer();
            var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Uri(address);
        }
    }

    public Uri VoiceUri(string query = "") => new(BaseUri.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "voice" + query);

    public SessionRegistry Registry => Services.GetRequiredService<SessionRegistry>();

    public HttpClient CreateHttpClient() => new() { BaseAddress = BaseUri };

    /// <summary>Waits until no session is live: every scenario must leave nothing behind.</summary>
    public Task WaitForNoSessionsAsync(CancellationToken cancellationToken) => WaitUntilAsync(() => Registry.Count == 0, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="condition"/> over the bridge's state holds, checking it again at each log line the
    /// bridge writes: a session's registration, its removal and the start of the drain are each followed by one.
    /// </summary>
    public Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken) => Logs.Changed.WaitUntilAsync(condition, cancellationToken);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_environment);
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureTestServices(services =>
        {
            // Joins the bridge's own Serilog pipeline (ReadFrom.Services), so the capture sees what its sinks see.
            services.AddSingleton<ILogEventSink>(Logs);
            if (_timeProvider is { } clock)
            {
                services.AddSingleton(clock);
            }
        });
    }
}

/// <summary>
/// Keeps every log event as one line, "Level Category [EventId] message Property=value … exception", so tests can
/// assert on what is logged: levels and categories named as in Microsoft.Extensions.Logging, values unquoted.
/// </summary>
public sealed class CapturedLogs : ILogEventSink
{
    private static readonly MessageTemplateTextFormatter MessageFormatter = new("{Message:l}", CultureInfo.InvariantCulture);
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string AllText => string.Join('\n', _lines);

    /// <summary>Notified after every line.</summary>
    public ChangeSignal Changed { get; } = new();

    /// <summary>Waits until a line satisfying <paramref name="predicate"/> has been logged, and returns it.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> predicate, CancellationToken cancellationToken)
    {
        string? match = null;
        await Changed.WaitUntilAsync(() => (match = _lines.FirstOrDefault(predicate)) is not null, cancellationToken);
        return match!;
    }

    public void Emit(LogEvent logEvent)
    {
        var category = logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string name } ? name : "None";
        var eventId = logEvent.Properties.TryGetValue("EventId", out var id) && id is StructureValue structure
            && structure.Properties.FirstOrDefault(p => p.Name == "Id")?.Value is ScalarValue { Value: int number } ? number : 0;
        var level = logEvent.Level switch
        {
            LogEventLevel.Verbose => "Trace",
            LogEventLevel.Fatal => "Critical",
            var other => other.ToString(),
        };
        using var message = new StringWriter(CultureInfo.InvariantCulture);
        MessageFormatter.Format(logEvent, message);
        var properties = string.Join(' ', logEvent.Properties.Select(p => $"{p.Key}={(p.Value is ScalarValue scalar ? scalar.Value : p.Value)}"));
        _lines.Enqueue($"{level} {category} [{eventId}] {message} {properties} {logEvent.Exception}");
        Changed.Notify();
    }
}
