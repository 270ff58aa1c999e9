using Microsoft.Extensions.Options;

namespace VoiceBridge.Security;

/// <summary>Registers browser authentication: options (validated at start), token service, authorizer.</summary>
internal static class SecurityServiceCollectionExtensions
{
    public static IServiceCollection AddVoiceBridgeSecurity(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddSingleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>();
        services.AddSingleton<BridgeTokenService>();
        services.AddSingleton<VoiceAuthorizer>();
        services.AddHostedService<AuthModeStartupWarning>();
        return services;
    }
}
