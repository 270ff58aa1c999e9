using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Diagnostics;
using VoiceBridge.Limits;
using VoiceBridge.Realtime;
using VoiceBridge.Security;
using VoiceBridge.Tools;

namespace VoiceBridge.Sessions;

/// <summary>What every session shares: the connector, the socket limits, the cached session.update, the clock.</summary>
internal sealed class SessionServices
{
    public SessionServices(
        IUpstreamDialer connector,
        IOptions<BridgeSocketOptions> socketOptions,
        IOptions<RealtimeSessionOptions> sessionOptions,
        IOptions<UpstreamOptions> upstreamOptions,
        IOptions<LimitsOptions> limits,
        BridgeMetrics metrics,
        TimeProvider timeProvider,
        ILogger<BridgeSession> logger,
        IOptions<ContinuityOptions> continuity,
        ToolServices? tools = null)
    {
        Metrics = metrics;
        var session = sessionOptions.Value;
        var shape = upstreamOptions.Value.SessionShape;
        Connector = connector;
        SocketOptions = socketOptions.Value;
        Limits = limits.Value;
        Tools = tools;

        // The server's tools ride in its own session.update (VoiceBridge:Tools).
        SessionUpdate = tools is null ? SessionUpdateBuilder.Build(session, shape) : ToolSessionJson.AddServerTools(SessionUpdateBuilder.Build(session, shape), tools.Catalog);
        SessionPolicy = new SessionUpdatePolicy(session.EffectiveClientMayUpdate, shape);

        // A response.create may override, for one response, the same fields a session.update sets; it is held to the
        // same list, plus the fields that only exist on a response.
        ResponsePolicy = new SessionUpdatePolicy(session.EffectiveClientMayUpdate.Concat(ResponseOnlyFields), shape, container: "response");
        TokenPolicy = new SessionUpdatePolicy(session.EffectiveTokenMayUpdate, shape);
        AllowedEvents = ClientEventTypeSet.Create(session.EffectiveAllowedClientEvents);
        AllowSystemItems = session.ClientMaySendSystemItems;
        TimeProvider = timeProvider;
        Logger = logger;
        Continuity = continuity.Value;
        Shape = shape;
    }

    /// <summary>Fields of <c>response.create</c>'s <c>response</c> that have no session counterpart and change no standing orders.</summary>
    public static IReadOnlyList<string> ResponseOnlyFields { get; } = ["conversation", "input", "metadata", "output_modalities"];

    public LimitsOptions Limits { get; }

    public BridgeMetrics Metrics { get; }

    /// <summary><c>Session:ClientMayUpdate</c> over a browser's <c>session.update</c>.</summary>
    public SessionUpdatePolicy SessionPolicy { get; }

    /// <summary>The same list over a browser's <c>response.create</c> overrides.</summary>
    public SessionUpdatePolicy ResponsePolicy { get; }

    /// <summary><c>Session:TokenMayUpdate</c>: builds the token claim's <c>session.update</c>.</summary>
    public SessionUpdatePolicy TokenPolicy { get; }

    public ClientEventTypeSet AllowedEvents { get; }

    public bool AllowSystemItems { get; }

    public IUpstreamDialer Connector { get; }

    public BridgeSocketOptions SocketOptions { get; }

    /// <summary>The server-owned first upstream frame, built once.</summary>
    public byte[] SessionUpdate { get; }

    public TimeProvider TimeProvider { get; }

    /// <summary><c>Continuity:*</c>: upstream reconnect, rollover, replay.</summary>
    public ContinuityOptions Continuity { get; }

    /// <summary>The upstream's <c>session.update</c> shape, for what the bridge writes itself (replayed items).</summary>
    public SessionShape Shape { get; }

    /// <summary>Server tools and webhooks; null when the host registers none (unit tests).</summary>
    public ToolServices? Tools { get; }

    public ILogger Logger { get; }
}
