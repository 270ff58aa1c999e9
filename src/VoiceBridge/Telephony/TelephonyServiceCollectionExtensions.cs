using Microsoft.Extensions.Options;
using VoiceBridge.Limits;

namespace VoiceBridge.Telephony;

/// <summary>Registers phone calls through Twilio (options validated at start) and maps their two routes when enabled.</summary>
internal static class TelephonyServiceCollectionExtensions
{
    public static IServiceCollection AddVoiceBridgeTelephony(this IServiceCollection services)
    {
        services.AddOptions<TwilioOptions>().BindConfiguration(TwilioOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TwilioOptions>, TwilioOptionsValidator>();
        services.AddSingleton<TwilioCallTokens>();
        services.AddSingleton<TwilioServices>();
        return services;
    }

    public static WebApplication MapTwilio(this WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<TwilioOptions>>().Value.Enabled)
        {
            return app;
        }

        app.Services.GetRequiredService<Diagnostics.BridgeMetrics>().PhoneChannel = true;
        app.MapPost(TwilioUrls.VoicePath, TwilioVoiceEndpoint.HandleAsync).DisableAntiforgery();
        app.MapGet(TwilioUrls.MediaPath, TwilioMediaEndpoint.HandleAsync).RequireRateLimiting(VoiceBridgeLimits.UpgradePolicy);
        return app;
    }
}
