using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using VoiceBridge.IntegrationTests.ProcessLevel;

namespace VoiceBridge.IntegrationTests.Infrastructure;

/// <summary>
/// A real <c>redis-server</c> (Debian's, installed by scripts/install-test-deps.sh) on a free loopback port, with no
/// persistence, owned by one test: it can be stopped and started again on the same port (a Redis outage).
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;
    private ConnectionMultiplexer? _client;

    private readonly string? _password;

    private RedisServer(int port, string? password)
    {
        Port = port;
        _password = password;
    }

    public int Port { get; }

    /// <summary>The bridge's <c>Cluster:Redis</c> value.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}" + (_password is null ? "" : ",password=" + _password);

    /// <param name="password">When set, the server requires it (<c>requirepass</c>) and <see cref="Configuration"/> carries it.</param>
    public static async Task<RedisServer> StartAsync(CancellationToken cancellationToken, string? password = null)
    {
        // A free port can be taken by another test between the check and redis-server's bind: then try another.
        for (var attempt = 1; ; attempt++)
        {
            var server = new RedisServer(BridgeProcess.FreeLoopbackPort(), password);
            try
            {
                await server.RestartAsync(cancellationToken);
                return server;
            }
            catch (RedisServerExitedException) when (attempt < 3)
            {
                await server.DisposeAsync();
            }
            catch
            {
                // Never leave a redis-server behind (a cancelled start would orphan it).
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Starts the server (again) on its port and waits until it answers.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("redis-server",
        [
            "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
            .. (_password is null ? Array.Empty<string>() : ["--requirepass", _password]),
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        _process.ErrorDataReceived += (_, e) => output.Enqueue(e.Data ?? "");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Listening first (a plain TCP connect, bounded by the test's token), then the client, which connects at once.
        while (true)
        {
            if (_process.HasExited)
            {
                throw new RedisServerExitedException($"redis-server exited with {_process.ExitCode}:\n{string.Join('\n', output)}");
            }

            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, Port, cancellationToken);
                break;
            }
            catch (System.Net.Sockets.SocketException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        _client ??= await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}" },
            Password = _password,
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            ReconnectRetryPolicy = new LinearRetry(100),
        }).WaitAsync(cancellationToken);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await _client.GetDatabase().PingAsync().WaitAsync(cancellationToken);
                return;
            }
            catch (RedisException)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    /// <summary>Kills the server (SIGKILL): connections drop without a goodbye, as in a crash.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public IDatabase Database => _client!.GetDatabase();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }
    }
}

internal sealed class RedisServerExitedException(string message) : Exception(message);
