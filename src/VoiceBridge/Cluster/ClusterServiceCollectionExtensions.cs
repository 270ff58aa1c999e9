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
        services.AddSingleton<FleetAdminRouter>();
        services.AddSingleton<FleetCommandListener>();
        services.AddHostedService(static services => services.GetRequiredService<FleetCommandListener>());
        return services;
    }
}
