using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace VoiceBridge.Bench;

/// <summary>
/// The published Release bridge (<c>scripts/publish.sh</c>), started as the image would start it
/// (<c>dotnet VoiceBridge.dll</c>, Production) in its own process, pointed at the echo upstream, with limits
/// raised so that admission control never shapes the load.
/// </summary>
internal sealed class BridgeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriterLog _log;

    private BridgeProcess(Process process, StringWriterLog log, Uri url, TimeSpan timeToHealthy)
    {
        _process = process;
        _log = log;
        Url = url;
        TimeToHealthy = timeToHealthy;
    }

    public Uri Url { get; }

    public int Pid => _process.Id;

    /// <summary>From process start to the first 200 from <c>/healthz</c>.</summary>
    public TimeSpan TimeToHealthy { get; }

    public bool HasExited => _process.HasExited;

    public string RecentOutput => _log.Text;

    /// <summary>Runs <c>scripts/publish.sh</c> into <paramref name="directory"/>.</summary>
    public static async Task PublishAsync(string repoRoot, string directory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("bash")
        {
            WorkingDirectory = repoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(repoRoot, "scripts", "publish.sh"));
        info.ArgumentList.Add(directory);
        using var publish = Process.Start(info) ?? throw new InvalidOperationException("could not start scripts/publish.sh");
        var stdout = publish.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = publish.StandardError.ReadToEndAsync(cancellationToken);
        await publish.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (publish.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh failed ({publish.ExitCode}):\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }
    }

    /// <param name="port">The port to listen on; 0 = a free one (a fleet node names its own in <c>Cluster:InternalUrl</c>).</param>
    public static async Task<BridgeProcess> StartAsync(string publishDirectory, Uri upstream, string? pinCore, IEnumerable<KeyValuePair<string, string>> extraEnvironment, CancellationToken cancellationToken, int port = 0)
    {
        port = port == 0 ? FreePort() : port;
        var dll = Path.Combine(publishDirectory, "VoiceBridge.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("no published bridge here", dll);
        }

        var info = new ProcessStartInfo(pinCore is null ? "dotnet" : "taskset")
        {
            WorkingDirectory = publishDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (pinCore is not null)
        {
            // taskset execs dotnet: the pid stays the bridge's.
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(pinCore);
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(dll);
        foreach (var name in new[] { "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_URLS", "DOTNET_ENVIRONMENT", "VoiceBridge__Upstream__ApiKey" })
        {
            info.Environment.Remove(name);
        }

        var env = info.Environment;
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["OPENAI_API_KEY"] = "sk-bench";
        env["VoiceBridge__Upstream__Url"] = upstream.ToString();
        env["VoiceBridge__Limits__MaxSessions"] = "100000";
        env["VoiceBridge__Limits__MaxSessionsPerClient"] = "100000";
        env["VoiceBridge__Limits__ConnectsPerMinutePerIp"] = "10000000";
        env["VoiceBridge__Limits__MaxAudioRate"] = "1000";

        // Detached sessions must outlast a census (the bridge is suspended while counted); nothing else detaches.
        env["VoiceBridge__Continuity__ResumeWindow"] = "00:10:00";
        env["Kestrel__Limits__MaxConcurrentConnections"] = "200000";
        env["Serilog__MinimumLevel__Default"] = "Warning";

        // Benchmark-only /metrics series (bytes allocated, longest GC pause since the previous scrape); off by default.
        env["VoiceBridge__Telemetry__BenchmarkCounters"] = "true";

        // As the Dockerfile ships it (socket completions run inline on the event thread; env-only, no runtimeconfig knob).
        env["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1";

        // As the Dockerfile ships it too: room in the shared array pool for message buffers returned in bursts.
        env["DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION"] = "256";

        // --bridge-env: a runtime setting under test (e.g. a GC knob), applied over the defaults above.
        foreach (var (name, value) in extraEnvironment)
        {
            env[name] = value;
        }

        var started = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the bridge");
        var log = new StringWriterLog();
        process.OutputDataReceived += (_, e) => log.Add(e.Data);
        process.ErrorDataReceived += (_, e) => log.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var url = new Uri($"http://127.0.0.1:{port}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the bridge exited with code {process.ExitCode} before /healthz answered:\n{log.Text}");
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url, "/healthz"), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (started.Elapsed > TimeSpan.FromSeconds(30))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"/healthz did not answer within 30 s:\n{log.Text}");
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return new BridgeProcess(process, log, url, started.Elapsed);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM through the kill command: the bridge drains and exits 0; a hard kill only if it hangs.
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The last lines the bridge printed, for a failure message.</summary>
    private sealed class StringWriterLog
    {
        private readonly Queue<string> _lines = new();

        public string Text
        {
            get
            {
                lock (_lines)
                {
                    return string.Join('\n', _lines);
                }
            }
        }

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lines)
            {
                _lines.Enqueue(line);
                if (_lines.Count > 50)
                {
                    _lines.Dequeue();
                }
            }
        }
    }
}
