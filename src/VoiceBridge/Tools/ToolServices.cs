using Microsoft.Extensions.Options;
using VoiceBridge.Diagnostics;

namespace VoiceBridge.Tools;

/// <summary>What every session's <see cref="SessionTools"/> shares: the catalog, the webhook client, the limits, the clock.</summary>
internal sealed class ToolServices
{
    public ToolServices(ToolCatalog catalog, WebhookClient webhooks, IOptions<WebhookOptions> options, BridgeMetrics metrics, TimeProvider time, ILogger<SessionTools> logger, SessionEndedWebhook sessionEnded)
    {
        SessionEnded = sessionEnded;
        Catalog = catalog;
        Webhooks = webhooks;
        Options = options.Value;
        Metrics = metrics;
        Time = time;
        Logger = logger;
    }

    public ToolCatalog Catalog { get; }

    public WebhookClient Webhooks { get; }

    public WebhookOptions Options { get; }

    public BridgeMetrics Metrics { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Posts each ended session to <c>Webhooks:SessionEndedUrl</c> (when set).</summary>
    public SessionEndedWebhook SessionEnded { get; }
}
