using Microsoft.Extensions.Options;

namespace VoiceBridge.Security;

/// <summary>Says loudly, once at start, that a Production bridge lets anyone in (<c>Auth:Mode=None</c>).</summary>
internal sealed class AuthModeStartupWarning : IHostedService
{
    private readonly IOptions<AuthOptions> _options;
    private readonly IHostEnvironment _environment;
    private readonly ILogger<AuthModeStartupWarning> _logger;

    public AuthModeStartupWarning(IOptions<AuthOptions> options, IHostEnvironment environment, ILogger<AuthModeStartupWarning> logger)
    {
        _options = options;
        _environment = environment;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_environment.IsProduction() && _options.Value.Mode == AuthMode.None)
        {
            SecurityLog.AuthDisabledInProduction(_logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
