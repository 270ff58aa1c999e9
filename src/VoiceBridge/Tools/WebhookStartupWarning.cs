using Microsoft.Extensions.Options;

namespace VoiceBridge.Tools;

/// <summary>In Production, a webhook URL without <c>Webhooks:Secret</c> is allowed but said once at start: its requests are unsigned.</summary>
internal sealed class WebhookStartupWarning(ToolCatalog catalog, IOptions<WebhookOptions> options, IHostEnvironment environment, ILogger<WebhookStartupWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var anyUrl = catalog.Tools.Any(tool => tool.Url is not null) || !string.IsNullOrEmpty(options.Value.SessionEndedUrl);
        if (environment.IsProduction() && anyUrl && string.IsNullOrEmpty(options.Value.Secret))
        {
            ToolsLog.UnsignedWebhooks(logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
