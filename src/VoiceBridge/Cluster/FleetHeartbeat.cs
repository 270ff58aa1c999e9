using System.Text.Json;
using Microsoft.Extensions.Options;
using VoiceBridge.Admin;
using VoiceBridge.Sessions;

namespace VoiceBridge.Cluster;

/// <summary>
/// Renews this node's lease several times within <c>Cluster:LeaseTime</c> (and at least every second, which is also
/// how quickly a lost or returned Redis shows in <c>voicebridge_cluster_connected</c>), publishes the node's admin
/// list with it; on a clean stop, leaves.
/// </summary>
internal sealed class FleetHeartbeat : BackgroundService
{
    private static readonly TimeSpan MaxPeriod = TimeSpan.FromSeconds(1);
    private readonly FleetRegistry _registry;
    private readonly SessionRegistry _sessions;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetRegistry> _logger;

    public FleetHeartbeat(FleetRegistry registry, SessionRegistry sessions, IOptions<ClusterOptions> options, TimeProvider timeProvider, ILogger<FleetRegistry> logger)
    {
        _registry = registry;
        _sessions = sessions;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public static TimeSpan Period(TimeSpan leaseTime) => leaseTime / 3 < MaxPeriod ? leaseTime / 3 : MaxPeriod;

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _registry.LeaveAsync().ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_registry.Enabled)
        {
            return;
        }

        ClusterLog.Joining(_logger, _registry.NodeId, _registry.Endpoints(), _options.LeaseTime, _options.MaxFleetSessions);
        await _registry.ConnectAsync().ConfigureAwait(false);
        using var timer = new PeriodicTimer(Period(_options.LeaseTime), _timeProvider);
        do
        {
            await _registry.BeatAsync().ConfigureAwait(false);

            // What GET /admin/sessions on another node lists for this one (at most one beat old).
            await _registry.PublishListAsync(JsonSerializer.Serialize(AdminEndpoints.LocalList(_sessions, _registry.NodeId), JsonSerializerOptions.Web)).ConfigureAwait(false);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
