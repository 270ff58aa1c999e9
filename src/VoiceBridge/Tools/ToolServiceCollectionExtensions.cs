using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Tools;

/// <summary>Registers server tools and webhooks: the catalog (validated at start), the webhook client and its resilience.</summary>
internal static class ToolServiceCollectionExtensions
{
    public static IServiceCollection AddVoiceBridgeTools(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration(WebhookOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.AddSingleton(static provider => ToolCatalog.Load(provider.GetRequiredService<IConfiguration>(), provider.GetRequiredService<IHostEnvironment>()));
        services.AddHttpClient(WebhookClient.ClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("voicebridge-webhook", static (builder, context) =>
                WebhookClient.ConfigurePipeline(builder, context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value))

            // One pipeline instance, and so one circuit breaker, per tool (the session-ended notice has its own).
            .SelectPipelineBy(static _ => static request => request.Options.TryGetValue(WebhookClient.PipelineKey, out var key) ? key : "default");
        services.AddSingleton<WebhookClient>();
        services.AddSingleton<ToolServices>();
        services.AddSingleton<SessionEndedWebhook>();
        services.AddHostedService(static provider => provider.GetRequiredService<SessionEndedWebhook>());
        services.AddHostedService<WebhookStartupWarning>();
        return services;
    }
}
