using Microsoft.Extensions.Options;

namespace VoiceBridge.Cluster;

internal static class ClusterServiceCollectionExtensions
{
    /// <summary>The fleet's services; they do nothing (and need no Redis) while <c>Cluster:Redis</c> is empty.</summary>
    public static IServiceCollection AddVoiceBridgeCluster(this IServiceCollection services)
    {
        services.AddOptions<ClusterOptions>().BindConfiguration(ClusterOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterOptions>, ClusterOptionsValidator>();
        services.AddSingleton<FleetRegistry>();
        services.AddHostedService<FleetHeartbeat>();

        // Admin actions routed to the node that holds a session (signed pub/sub).
        services.AddSingleton<FleetAdminRouter>();
        services.AddSingleton<FleetCommandListener>();
        services.AddHostedService(static services => services.GetRequiredService<FleetCommandListener>());

        // The resume relay: token hashes → node in Redis, and the hop to the node that holds a session.
        services.AddSingleton<FleetResumeDirectory>();
        services.AddSingleton<Sessions.IResumeTokenListener>(sp => sp.GetRequiredService<FleetResumeDirectory>());
        services.AddHostedService(sp => sp.GetRequiredService<FleetResumeDirectory>());
        services.AddSingleton<ResumeRelay>();
        return services;
    }
}
