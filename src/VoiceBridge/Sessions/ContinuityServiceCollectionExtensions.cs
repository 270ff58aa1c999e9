using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;

namespace VoiceBridge.Sessions;

internal static class ContinuityServiceCollectionExtensions
{
    /// <summary><c>VoiceBridge:Continuity</c>, validated at start, and the process's resume tokens.</summary>
    public static IServiceCollection AddVoiceBridgeContinuity(this IServiceCollection services)
    {
        services.AddOptions<ContinuityOptions>().BindConfiguration(ContinuityOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ContinuityOptions>, ContinuityOptionsValidator>();
        services.AddSingleton<ResumeTokens>();
        return services;
    }
}
