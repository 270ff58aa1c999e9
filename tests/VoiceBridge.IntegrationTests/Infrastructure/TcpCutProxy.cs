using System.Net;
using System.Net.Sockets;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of the bridge whose connections can be cut: <see cref="Cut"/> resets every connection
/// it carries (RST both ways, no WebSocket close frame), as a network blip does to a browser; bytes in flight are lost.
/// New connections pass as before, so a client can come back through the same address.
/// </summary>
internal sealed class TcpCutProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _live = [];
    private readonly List<Task> _pumps = [];
    private readonly Task _acceptLoop;

    public TcpCutProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The same URI, through the proxy.</summary>
    public Uri Through(Uri uri) => new UriBuilder(uri) { Port = Port }.Uri;

    /// <summary>Resets every connection carried now; both ends see the connection die without a close frame.</summary>
    public void Cut()
    {
        lock (_live)
        {
            foreach (var (client, server) in _live)
            {
                Reset(client);
                Reset(server);
            }

            _live.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps];
        }

        await Task.WhenAll(pumps);
        _stop.Dispose();
    }

    private static void Reset(TcpClient tcp)
    {
        try
        {
            // Linger 0: close sends RST, not FIN, as a dropped path looks to the far end.
            tcp.Client.LingerState = new LingerOption(true, 0);
            tcp.Close();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            client.NoDelay = true;
            var server = new TcpClient { NoDelay = true };
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            lock (_live)
            {
                _live.Add((client, server));
            }

            lock (_pumps)
            {
                _pumps.Add(RunPairAsync(client, server));
            }
        }
    }

    private async Task RunPairAsync(TcpClient client, TcpClient server)
    {
        var a = PumpAsync(client, server);
        var b = PumpAsync(server, client);
        await Task.WhenAny(a, b);
        lock (_live)
        {
            _live.Remove((client, server));
        }

        client.Close();
        server.Close();
        await Task.WhenAll(a, b);
    }

    private async Task PumpAsync(TcpClient from, TcpClient to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            while (true)
            {
                var count = await input.ReadAsync(buffer, _stop.Token);
                if (count == 0)
                {
                    return;
                }

                await output.WriteAsync(buffer.AsMemory(0, count), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException or InvalidOperationException)
        {
        }
    }
}
