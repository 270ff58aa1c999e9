using Microsoft.Extensions.Options;
using VoiceBridge.Configuration;
using VoiceBridge.Simulator;

namespace VoiceBridge.Realtime;

/// <summary>
/// Where upstream connections go, resolved once: the configured provider's URL and headers, or the built-in
/// simulator's loopback listener (which is only known once it has started).
/// </summary>
internal sealed class UpstreamTarget
{
    private readonly UpstreamOptions _options;
    private readonly EffectiveProvider _provider;
    private readonly SimulatorHost _simulator;
    private UpstreamEndpoint? _endpoint;

    public UpstreamTarget(IOptions<UpstreamOptions> options, EffectiveProvider provider, SimulatorHost simulator)
    {
        _options = options.Value;
        _provider = provider;
        _simulator = simulator;
    }

    public async ValueTask<UpstreamEndpoint> GetEndpointAsync(CancellationToken cancellationToken)
    {
        if (_endpoint is { } known)
        {
            return known;
        }

        Uri? simulatorUri = null;
        if (_provider.Provider == UpstreamProvider.Simulator)
        {
            simulatorUri = await _simulator.GetEndpointAsync(cancellationToken).ConfigureAwait(false);
        }

        var options = new UpstreamOptions
        {
            Url = _options.Url,
            Model = _options.Model,
            Provider = _provider.Provider,
            SessionShape = _options.SessionShape,
        };
        var endpoint = UpstreamEndpoint.Create(options, _provider.ApiKey, simulatorUri);
        Volatile.Write(ref _endpoint, endpoint);
        return endpoint;
    }
}
