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
        var server = new RedisServer(BridgeProcess.FreeLoopbackPort(), password);
        await server.RestartAsync(cancellationToken);
        return server;
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
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // The client reconnects by itself; the first answered PING says the server listens.
        _client ??= await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}" },
            Password = _password,
            AbortOnConnectFail = false,
            ConnectRetry = 50,
            ReconnectRetryPolicy = new LinearRetry(100),
        });
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await _client.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException)
            {
                await Task.Delay(50, cancellationToken);
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
