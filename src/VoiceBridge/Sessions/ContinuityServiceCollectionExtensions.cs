namespace VoiceBridge.Sessions;

internal static class ContinuityServiceCollectionExtensions
{
    /// <summary>The process's resume tokens (the <c>VoiceBridge:Continuity</c> options are registered with the others).</summary>
    public static IServiceCollection AddVoiceBridgeContinuity(this IServiceCollection services)
    {
        services.AddSingleton<ResumeTokens>();
        return services;
    }
}
