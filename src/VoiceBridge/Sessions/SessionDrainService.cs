namespace VoiceBridge.Sessions;

/// <summary>
/// Drains sessions in the host's "stopping" phase, before the server stops listening: readiness already
/// answers 503 and upgrades are refused while live sessions receive <c>server_shutting_down</c>.
/// </summary>
internal sealed class SessionDrainService : IHostedLifecycleService
{
    private readonly SessionRegistry _registry;

    public SessionDrainService(SessionRegistry registry)
    {
        _registry = registry;
    }

    public Task StoppingAsync(CancellationToken cancellationToken) => _registry.DrainAsync(cancellationToken);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
