using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

// Not "…IntegrationTests.Process": a namespace of that name would hide System.Diagnostics.Process from every
// test namespace under VoiceBridge.IntegrationTests.
namespace VoiceBridge.IntegrationTests.ProcessLevel;

/// <summary>
/// The real built server as a child process (<c>dotnet VoiceBridge.dll</c>, from this test's output directory) on
/// its own free loopback port, with a clean environment: nothing inherited can change its address, environment,
/// key or configuration. Captures every stdout and stderr line.
/// </summary>
internal sealed class BridgeProcess : IAsyncDisposable
{
    public const string TestApiKey = "sk-proc-test-5c1f9a7e3b2d4c6e8a0f1b3d5e7c9a2b";

    /// <summary>The host's <c>HostOptions.ShutdownTimeout</c>: SIGTERM must end the process within it.</summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(8);

    private static readonly string[] InheritedPrefixesToRemove = ["ASPNETCORE_", "VoiceBridge__", "Serilog__", "Logging__", "Kestrel__"];
    private static readonly string[] InheritedNamesToRemove = ["OPENAI_API_KEY", "DOTNET_ENVIRONMENT", "DOTNET_URLS", "DOTNET_CONTENTROOT", "urls", "environment"];

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stdout = new();
    private readonly ChangeSignal _stdoutChanged = new();
    private readonly ConcurrentQueue<string> _stderr = new();
    private readonly HttpClient _http;

    private BridgeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        BaseUri = new Uri($"http://127.0.0.1:{port}/");
        _http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromSeconds(5) };
    }

    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "VoiceBridge.dll");

    public int Port { get; }

    public Uri BaseUri { get; }

    public int ProcessId => _process.Id;

    public IReadOnlyList<string> StdoutLines => [.. _stdout];

    public IReadOnlyList<string> StderrLines => [.. _stderr];

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything the process printed, for assertion messages.</summary>
    public string Transcript => $"stdout:\n{string.Join('\n', _stdout)}\nstderr:\n{string.Join('\n', _stderr)}";

    /// <summary>Starts the server on a free loopback port (<c>ASPNETCORE_URLS</c>) in the given ASP.NET Core environment.</summary>
    public static BridgeProcess Start(string environmentName, IReadOnlyDictionary<string, string>? environment = null, params string[] arguments)
    {
        var port = FreeLoopbackPort();
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
            ["ASPNETCORE_ENVIRONMENT"] = environmentName,
        };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        return new BridgeProcess(StartDotnet(variables, arguments), port).BeginCapture();
    }

    /// <summary>Runs <c>dotnet VoiceBridge.dll &lt;arguments&gt;</c> to its end (e.g. <c>--health-probe</c>), with a clean environment.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(
        IReadOnlyDictionary<string, string>? environment, string[] arguments, CancellationToken cancellationToken)
    {
        using var process = StartDotnet(environment ?? new Dictionary<string, string>(), arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A loopback port nothing listens on at the moment of the call.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <c>/healthz</c> until it answers 200; fails at once (with the transcript) if the process exits first.</summary>
    public async Task<HttpResponseMessage> WaitForHealthyAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(cancellationToken);
                throw new InvalidOperationException($"The bridge exited with code {_process.ExitCode} before /healthz answered.\n{Transcript}");
            }

            try
            {
                var response = await _http.GetAsync(new Uri("/healthz", UriKind.Relative), cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return response;
                }

                response.Dispose();
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // This attempt's own timeout; try again.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
    }

    public Task<HttpResponseMessage> GetAsync(string pathAndQuery, CancellationToken cancellationToken) =>
        _http.GetAsync(new Uri(pathAndQuery, UriKind.Relative), cancellationToken);

    /// <summary>What <c>docker stop</c> sends.</summary>
    public async Task SendSigtermAsync(CancellationToken cancellationToken)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            UseShellExecute = false,
        })!;
        await kill.WaitForExitAsync(cancellationToken);
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the process to exit and for its output to be fully read; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>Waits until some stdout line satisfies <paramref name="predicate"/> (lines arrive through an async log sink).</summary>
    public async Task<string> WaitForStdoutAsync(Func<string, bool> predicate, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? match = null;
        var seen = _stdoutChanged.WaitUntilAsync(() => (match = _stdout.FirstOrDefault(predicate)) is not null, stop.Token);

        // Exited: its output has been read to the end by the time WaitForExitAsync completes.
        var exited = _process.WaitForExitAsync(stop.Token);
        if (await Task.WhenAny(seen, exited) == seen)
        {
            await seen;
            return match!;
        }

        await exited;
        await stop.CancelAsync();
        return _stdout.FirstOrDefault(predicate) ?? throw new InvalidOperationException($"The bridge exited without the expected line.\n{Transcript}");
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await _process.WaitForExitAsync(bounded.Token);
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static Process StartDotnet(IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var name in start.Environment.Keys.ToArray())
        {
            if (InheritedPrefixesToRemove.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                || InheritedNamesToRemove.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                start.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        process.StandardInput.Close();
        return process;
    }

    /// <summary>The muxer running this test host, so the child uses the same runtime; else <c>dotnet</c> from PATH.</summary>
    private static string DotnetHost()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return self;
        }

        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        return string.IsNullOrEmpty(fromSdk) ? "dotnet" : fromSdk;
    }

    private BridgeProcess BeginCapture()
    {
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stdout.Enqueue(e.Data);
                _stdoutChanged.Notify();
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stderr.Enqueue(e.Data);
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        return this;
    }
}
