using System.Net;
using System.Net.Sockets;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of the fake service that can go dark: after <see cref="Freeze"/> no byte moves in
/// either direction and no FIN or RST is sent — a half-open connection, as when a network path dies. Pings then go
/// unanswered, which is what keep-alive timeouts exist for.
/// </summary>
internal sealed class TcpFreezeProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _pumps = [];
    private readonly Task _acceptLoop;

    public TcpFreezeProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Freeze() => _frozen.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
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

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            var server = new TcpClient();
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            lock (_pumps)
            {
                _pumps.Add(RunPairAsync(client, server));
            }
        }
    }

    private async Task RunPairAsync(TcpClient client, TcpClient server)
    {
        using (client)
        using (server)
        {
            var a = PumpAsync(client.GetStream(), server.GetStream());
            var b = PumpAsync(server.GetStream(), client.GetStream());
            await Task.WhenAny(a, b);
            client.Close();
            server.Close();
            await Task.WhenAll(a, b);
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = from.ReadAsync(buffer, _stop.Token).AsTask();
                await Task.WhenAny(read, _frozen.Task).WaitAsync(_stop.Token);
                if (_frozen.Task.IsCompleted)
                {
                    // Dark: hold everything until the test ends.
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                var count = await read;
                if (count == 0)
                {
                    return;
                }

                await to.WriteAsync(buffer.AsMemory(0, count), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
    }
}
