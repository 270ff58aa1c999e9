using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace VoiceBridge.Simulator;

/// <summary>
/// Runs the simulator for the product on its own Kestrel listener on 127.0.0.1 with a dynamic port, so the bridge
/// reaches it through the same <c>ClientWebSocket</c> path as the real service. The inner application is built
/// with no configuration sources, so the product's URLs and Kestrel settings never leak into it.
/// </summary>
public sealed class SimulatorHost : IHostedService, IAsyncDisposable
{
    private static readonly TimeSpan InnerShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly SimulatorOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SimulatorHost> _logger;
    private readonly TaskCompletionSource<Uri> _endpoint = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    public SimulatorHost(SimulatorOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
        _logger = loggerFactory.CreateLogger<SimulatorHost>();
    }

    /// <summary>Completes once listening, with <c>ws://127.0.0.1:&lt;port&gt;/v1/realtime</c>.</summary>
    public Task<Uri> GetEndpointAsync(CancellationToken cancellationToken) => _endpoint.Task.WaitAsync(cancellationToken);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            return;
        }

        try
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            builder.Services.AddRouting();
            builder.Services.AddLogging();
            builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(new QuietLifetimeLoggerFactory(_loggerFactory)));
            builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = InnerShutdownTimeout);
            builder.Services.AddSingleton(new RealtimeSimulator(_options, _timeProvider, _loggerFactory.CreateLogger<RealtimeSimulator>()));

            var app = builder.Build();
            app.UseWebSockets();
            app.MapRealtimeSimulator();
            _app = app;
            await app.StartAsync(cancellationToken);

            var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
            var port = new Uri(address).Port;
            var endpoint = new Uri($"ws://127.0.0.1:{port}/v1/realtime");
            _logger.HostListening(endpoint);
            _endpoint.TrySetResult(endpoint);
        }
        catch (Exception ex)
        {
            _endpoint.TrySetException(ex);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _endpoint.TrySetCanceled(CancellationToken.None);
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _endpoint.TrySetCanceled(CancellationToken.None);
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }
}
