using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Configuration;
using VoiceBridge.Realtime;
using VoiceBridge.Simulator;

namespace VoiceBridge.Tests.Realtime;

/// <summary>
/// The connector as the host registers it (<see cref="UpstreamServiceCollectionExtensions.AddUpstreamConnector"/>):
/// its retries and timeouts reach Polly's meter, and its delays and timeouts run on the injected clock. Polly's meter is
/// one per process; the tests of this class run one at a time and count only the connect pipeline's events.
/// </summary>
public sealed class UpstreamConnectorTests
{
    [Fact]
    public async Task ConnectAsync_UpstreamRefuses_EachRetryCountedOnPollyMeter()
    {
        var ct = TestTimeout.Token();
        using var events = new PollyEvents();
        await using var services = Services(new Uri($"ws://127.0.0.1:{ClosedPort()}/v1/realtime"), attempts: 3, TimeProvider.System, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1));
        var connector = services.GetRequiredService<IUpstreamDialer>();

        var e = await Assert.ThrowsAsync<UpstreamConnectException>(() => connector.ConnectAsync(ct));

        Assert.Equal(UpstreamFailure.Unavailable, e.Failure);
        var retries = events.Named("OnRetry");
        Assert.Equal(2, retries.Count);
        Assert.All(retries, tags => Assert.Equal(typeof(UpstreamConnectException).FullName, tags["exception.type"]));
    }

    [Fact]
    public async Task ConnectAsync_HandshakeNeverAnswered_TimeoutsAndBackoffRunOnInjectedClock()
    {
        var ct = TestTimeout.Token();
        using var events = new PollyEvents();
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new ConcurrentQueue<Socket>();
        _ = AcceptForeverAsync(silent, accepted, ct);
        var clock = new FakeTimeProvider();

        // An hour per attempt and an hour's backoff: on the system clock this test would outlive its timeout.
        await using var services = Services(new Uri($"ws://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}/v1/realtime"), attempts: 2, clock, TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        var connect = services.GetRequiredService<IUpstreamDialer>().ConnectAsync(ct);
        while (!connect.IsCompleted)
        {
            ct.ThrowIfCancellationRequested();
            clock.Advance(TimeSpan.FromMinutes(30));
            await Task.WhenAny(connect, Task.Delay(20, ct));
        }

        var e = await Assert.ThrowsAsync<UpstreamConnectException>(() => connect);
        Assert.Equal(UpstreamFailure.Unavailable, e.Failure);
        Assert.Equal(2, events.Named("OnTimeout").Count);
        Assert.Single(events.Named("OnRetry"));
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    private static ServiceProvider Services(Uri upstream, int attempts, TimeProvider clock, TimeSpan connectTimeout, TimeSpan retryBaseDelay)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(clock);
        services.AddSingleton(new EffectiveProvider(UpstreamProvider.OpenAI, "sk-test-not-a-key", FellBackToSimulator: false));
        services.AddSingleton(new SimulatorOptions());
        services.AddSingleton<SimulatorHost>();
        services.AddOptions<BridgeSocketOptions>();
        services.AddOptions<UpstreamOptions>().Configure(options =>
        {
            options.Url = upstream.ToString();
            options.ConnectAttempts = attempts;
            options.ConnectTimeout = connectTimeout;
            options.RetryBaseDelay = retryBaseDelay;
        });
        services.AddUpstreamConnector();
        return services.BuildServiceProvider();
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task AcceptForeverAsync(TcpListener listener, ConcurrentQueue<Socket> accepted, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                accepted.Enqueue(await listener.AcceptSocketAsync(cancellationToken));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The test is over.
        }
    }

    /// <summary>Polly's <c>resilience.polly.strategy.events</c> for the connect pipeline, with their tags.</summary>
    private sealed class PollyEvents : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentQueue<Dictionary<string, object?>> _events = new();

        public PollyEvents()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Polly" && instrument.Name == "resilience.polly.strategy.events")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<int>((_, _, tags, _) =>
            {
                var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var tag in tags)
                {
                    copy[tag.Key] = tag.Value;
                }

                if (Equals(copy.GetValueOrDefault("pipeline.name"), UpstreamConnector.PipelineName))
                {
                    _events.Enqueue(copy);
                }
            });
            _listener.Start();
        }

        public List<Dictionary<string, object?>> Named(string eventName) =>
            [.. _events.Where(tags => Equals(tags.GetValueOrDefault("event.name"), eventName))];

        public void Dispose() => _listener.Dispose();
    }
}
