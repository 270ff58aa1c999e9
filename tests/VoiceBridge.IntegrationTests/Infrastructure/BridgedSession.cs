namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>
/// The usual scene of a session test: a fake service, the bridge pointed at it, one browser connected, and the
/// upstream socket open (its first frame, the bridge's session.update, has arrived).
/// </summary>
internal sealed class BridgedSession : IAsyncDisposable
{
    private BridgedSession(FakeUpstream upstream, BridgeApp bridge, BrowserClient browser, UpstreamConnection connection)
    {
        Upstream = upstream;
        Bridge = bridge;
        Browser = browser;
        Connection = connection;
    }

    public FakeUpstream Upstream { get; }

    public BridgeApp Bridge { get; }

    public BrowserClient Browser { get; }

    public UpstreamConnection Connection { get; }

    /// <param name="simulator">false: the fake only records and answers closes, so the test alone decides what the service sends.</param>
    /// <param name="timeProvider">The bridge's clock (see <see cref="BridgeApp"/>); the system's by default.</param>
    public static async Task<BridgedSession> StartAsync(
        CancellationToken cancellationToken,
        bool simulator = false,
        IDictionary<string, string?>? settings = null,
        string query = "",
        TimeProvider? timeProvider = null)
    {
        var upstream = await FakeUpstream.StartAsync();
        upstream.RunSimulator = simulator;
        var bridge = new BridgeApp(upstream.Url, settings, timeProvider: timeProvider);
        var browser = await BrowserClient.ConnectAsync(bridge.VoiceUri(query), cancellationToken);
        var connection = await upstream.NextConnectionAsync(cancellationToken);
        await connection.Socket.WaitForFramesAsync(1, cancellationToken);
        return new BridgedSession(upstream, bridge, browser, connection);
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        await Bridge.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
