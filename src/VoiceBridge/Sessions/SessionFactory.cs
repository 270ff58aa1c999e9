using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Sessions;

/// <summary>What every session shares: the connector, the socket limits, the cached session.update, the clock.</summary>
internal sealed class SessionServices
{
    public SessionServices(
        UpstreamConnector connector,
        IOptions<BridgeSocketOptions> socketOptions,
        IOptions<RealtimeSessionOptions> sessionOptions,
        IOptions<UpstreamOptions> upstreamOptions,
        TimeProvider timeProvider,
        ILogger<BridgeSession> logger)
    {
        Connector = connector;
        SocketOptions = socketOptions.Value;
        SessionUpdate = SessionUpdateBuilder.Build(sessionOptions.Value, upstreamOptions.Value.SessionShape);
        TimeProvider = timeProvider;
        Logger = logger;
    }

    public UpstreamConnector Connector { get; }

    public BridgeSocketOptions SocketOptions { get; }

    /// <summary>The server-owned first upstream frame, built once.</summary>
    public byte[] SessionUpdate { get; }

    public TimeProvider TimeProvider { get; }

    public ILogger Logger { get; }
}

/// <summary>Creates sessions over the shared <see cref="SessionServices"/>.</summary>
internal sealed class SessionFactory
{
    private readonly SessionServices _services;

    public SessionFactory(SessionServices services)
    {
        _services = services;
    }

    public BridgeSession Create(WebSocket browser, SessionStart start, CancellationToken requestAborted) =>
        new(_services, start, browser, requestAborted);

    /// <summary>An opaque id for logs and the admin API; not a secret.</summary>
    public static string NewId()
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(19, 0, static (span, _) =>
        {
            "vb_".CopyTo(span);
            for (var i = 3; i < span.Length; i++)
            {
                span[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            }
        });
    }
}
