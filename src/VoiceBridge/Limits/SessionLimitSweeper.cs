using Microsoft.Extensions.Options;
using VoiceBridge.Sessions;

namespace VoiceBridge.Limits;

/// <summary>
/// One timer for the whole process (not one per session) that ends sessions past <c>Limits:MaxSessionDuration</c>
/// (<c>session_expired</c>) or idle for <c>Limits:IdleTimeout</c> (<c>idle_timeout</c>), both with close 1000.
/// Its resolution is a tenth of the shorter limit, at most one second.
/// </summary>
internal sealed class SessionLimitSweeper : BackgroundService
{
    private readonly SessionRegistry _registry;
    private readonly LimitsOptions _options;
    private readonly TimeProvider _timeProvider;

    public SessionLimitSweeper(SessionRegistry registry, IOptions<LimitsOptions> options, TimeProvider timeProvider)
    {
        _registry = registry;
        _options = options.Value;
        _timeProvider = timeProvider;
    }

    public static TimeSpan PeriodFor(LimitsOptions options)
    {
        var shortest = options.IdleTimeout < options.MaxSessionDuration ? options.IdleTimeout : options.MaxSessionDuration;
        var period = shortest / 10;
        return period < TimeSpan.FromMilliseconds(20) ? TimeSpan.FromMilliseconds(20) : period > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : period;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PeriodFor(_options), _timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping.
        }
    }

    internal void Sweep()
    {
        var now = _timeProvider.GetTimestamp();
        foreach (var session in _registry.Sessions)
        {
            session.EnforceLimits(now, _options.MaxSessionDuration, _options.IdleTimeout);
        }
    }
}
