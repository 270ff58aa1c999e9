using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;

namespace VoiceBridge.Sessions;

/// <summary>Creates sessions with what they share: the connector, the socket limits and the cached session.update.</summary>
internal sealed class SessionFactory
{
    private readonly UpstreamConnector _connector;
    private readonly BridgeSocketOptions _socketOptions;
    private readonly byte[] _sessionUpdate;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<BridgeSession> _logger;

    public SessionFactory(
        UpstreamConnector connector,
        IOptions<BridgeSocketOptions> socketOptions,
        IOptions<RealtimeSessionOptions> sessionOptions,
        IOptions<UpstreamOptions> upstreamOptions,
        TimeProvider timeProvider,
        ILogger<BridgeSession> logger)
    {
        _connector = connector;
        _socketOptions = socketOptions.Value;
        _sessionUpdate = SessionUpdateBuilder.Build(sessionOptions.Value, upstreamOptions.Value.SessionShape);
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public BridgeSession Create(WebSocket browser, string clientAddress, bool binaryAudio, CancellationToken requestAborted) =>
        new(NewId(), clientAddress, binaryAudio, browser, _connector, _socketOptions, _sessionUpdate, _timeProvider, _logger, requestAborted);

    /// <summary>An opaque id for logs and, later, the admin API; not a secret.</summary>
    private static string NewId()
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
