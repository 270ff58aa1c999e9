using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace VoiceBridge.Bench;

/// <summary>
/// What the resume relay adds: two bridge processes on one redis-server (nodes A and B, a fleet), the echo upstream,
/// and N browser sessions that each ping-pong one text append every 20 ms (send, wait for its echoed delta, time it).
/// A <em>direct</em> phase opens the sessions on node A; a <em>relayed</em> phase opens them on node A, drops each
/// browser socket without a close frame and resumes it through node B, so every frame goes browser → B → A → echo →
/// A → B → browser. The phases alternate (--rounds) in one sitting; CPU is both bridges' (from /proc).
/// </summary>
internal static class RelayScenario
{
    private const string Secret = "bench-fleet-secret-0123456789";

    public static async Task<int> RunAsync(BenchOptions options, string publishDirectory, EchoUpstream echo, CancellationToken cancellationToken)
    {
        await using var redis = await RedisProcess.StartAsync(cancellationToken).ConfigureAwait(false);
        var portA = BridgeProcess.FreePort();
        var portB = BridgeProcess.FreePort();
        await using var a = await BridgeProcess.StartAsync(publishDirectory, echo.Url, null, Node("bench-a", portA, redis.Port, options), cancellationToken, portA).ConfigureAwait(false);
        await using var b = await BridgeProcess.StartAsync(publishDirectory, echo.Url, null, Node("bench-b", portB, redis.Port, options), cancellationToken, portB).ConfigureAwait(false);
        BenchRunner.Say($"relay: redis-server on {redis.Port}, node A pid {a.Pid} on {portA}, node B pid {b.Pid} on {portB} (not pinned), {options.Sessions} sessions, {options.Rounds} rounds of {options.Seconds} s per phase");

        try
        {
            return await MeasureAsync(options, portA, portB, a, b, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or InvalidOperationException)
        {
            await Console.Error.WriteLineAsync($"node A's output:\n{a.RecentOutput}\nnode B's output:\n{b.RecentOutput}").ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<int> MeasureAsync(BenchOptions options, int portA, int portB, BridgeProcess a, BridgeProcess b, CancellationToken cancellationToken)
    {
        BenchRunner.Say($"warming up ({options.WarmupSeconds} s each path, not reported)");
        await PhaseAsync(portA, null, options.Sessions, options.WarmupSeconds, a, b, cancellationToken).ConfigureAwait(false);
        await PhaseAsync(portA, portB, options.Sessions, options.WarmupSeconds, a, b, cancellationToken).ConfigureAwait(false);

        var direct = new List<long>();
        var relayed = new List<long>();
        double directCpu = 0, relayedCpu = 0;
        long lost = 0;
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var through in new int?[] { null, portB })
            {
                var phase = await PhaseAsync(portA, through, options.Sessions, options.Seconds, a, b, cancellationToken).ConfigureAwait(false);
                var stats = LatencyStats.From([.. phase.RoundTrips]);
                var name = through is null ? "direct " : "relayed";
                BenchRunner.Say(string.Create(CultureInfo.InvariantCulture,
                    $"round {round} {name}: {stats.Count} round trips, p50 {stats.P50:F2} ms, p99 {stats.P99:F2} ms, max {stats.Max:F2} ms; CPU A {phase.CpuA:F2} s + B {phase.CpuB:F2} s = {1000 * (phase.CpuA + phase.CpuB) / Math.Max(1, stats.Count):F3} ms per round trip; {phase.Lost} lost"));
                (through is null ? direct : relayed).AddRange(phase.RoundTrips);
                if (through is null)
                {
                    directCpu += phase.CpuA + phase.CpuB;
                }
                else
                {
                    relayedCpu += phase.CpuA + phase.CpuB;
                }

                lost += phase.Lost;
            }
        }

        var d = LatencyStats.From(direct);
        var r = LatencyStats.From(relayed);
        BenchRunner.Say(string.Create(CultureInfo.InvariantCulture,
            $"relay adds: p50 {r.P50 - d.P50:+0.00;-0.00} ms ({d.P50:F2} → {r.P50:F2}), p99 {r.P99 - d.P99:+0.00;-0.00} ms ({d.P99:F2} → {r.P99:F2}); CPU per round trip {1000 * directCpu / Math.Max(1, d.Count):F3} → {1000 * relayedCpu / Math.Max(1, r.Count):F3} ms (both nodes); load average {ProcFs.LoadAverage()}"));
        return lost == 0 ? 0 : 1;
    }

    private static List<KeyValuePair<string, string>> Node(string nodeId, int port, int redisPort, BenchOptions options) =>
    [
        new("VoiceBridge__Cluster__Redis", $"127.0.0.1:{redisPort.ToString(CultureInfo.InvariantCulture)}"),
        new("VoiceBridge__Cluster__NodeId", nodeId),
        new("VoiceBridge__Cluster__Secret", Secret),
        new("VoiceBridge__Cluster__InternalUrl", $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}"),
        .. options.BridgeEnvironment,
    ];

    private static async Task<Phase> PhaseAsync(int portA, int? portB, int count, double seconds, BridgeProcess a, BridgeProcess b, CancellationToken cancellationToken)
    {
        using var gate = new SemaphoreSlim(16);
        var sockets = await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                return await OpenAsync(portA, portB, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                gate.Release();
            }
        })).ConfigureAwait(false);

        var cpuA = ProcFs.CpuSeconds(a.Pid);
        var cpuB = ProcFs.CpuSeconds(b.Pid);
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var results = await Task.WhenAll(sockets.Select((socket, i) => PingPongAsync(socket, (double)i / count, until, cancellationToken))).ConfigureAwait(false);
        var phase = new Phase([.. results.SelectMany(result => result.RoundTrips)], ProcFs.CpuSeconds(a.Pid) - cpuA, ProcFs.CpuSeconds(b.Pid) - cpuB, results.Sum(result => result.Lost));
        foreach (var socket in sockets)
        {
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken).ConfigureAwait(false);
            }
            catch (WebSocketException)
            {
            }

            socket.Dispose();
        }

        return phase;
    }

    /// <summary>A session on node A; relayed: dropped there without a close frame and resumed through node B.</summary>
    private static async Task<ClientWebSocket> OpenAsync(int portA, int? portB, CancellationToken cancellationToken)
    {
        var first = new ClientWebSocket();
        first.Options.AddSubProtocol("realtime");
        await first.ConnectAsync(new Uri($"ws://127.0.0.1:{portA}/voice?bridge_events=1"), cancellationToken).ConfigureAwait(false);
        var created = await ReceiveUntilAsync(first, "bridge.session.created", cancellationToken).ConfigureAwait(false);
        if (portB is null)
        {
            return first;
        }

        var token = created.GetProperty("resume_token").GetString()!;

        // The service's session.created comes once the call runs (a drop before that ends the call rather than detaching it).
        await ReceiveUntilAsync(first, "session.created", cancellationToken).ConfigureAwait(false);
        first.Abort();
        first.Dispose();

        // The token reaches Redis beside the call, within milliseconds: a resume that races it gets 404 and tries again.
        for (var attempt = 1; ; attempt++)
        {
            var resumed = new ClientWebSocket();
            resumed.Options.AddSubProtocol("realtime");
            resumed.Options.AddSubProtocol("voicebridge-resume." + token);
            try
            {
                await resumed.ConnectAsync(new Uri($"ws://127.0.0.1:{portB}/voice"), cancellationToken).ConfigureAwait(false);
                await ReceiveUntilAsync(resumed, "bridge.session.resumed", cancellationToken).ConfigureAwait(false);
                return resumed;
            }
            catch (WebSocketException) when (attempt < 50)
            {
                resumed.Dispose();
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<JsonElement> ReceiveUntilAsync(ClientWebSocket socket, string type, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var marker = Encoding.UTF8.GetBytes($"\"type\":\"{type}\"");
        while (true)
        {
            var count = await ReceiveMessageAsync(socket, buffer, cancellationToken).ConfigureAwait(false);
            if (buffer.AsSpan(0, count).IndexOf(marker) >= 0)
            {
                using var json = JsonDocument.Parse(buffer.AsMemory(0, count));
                return json.RootElement.Clone();
            }
        }
    }

    private static async Task<int> ReceiveMessageAsync(ClientWebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        var count = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(count), cancellationToken).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new WebSocketException($"closed ({socket.CloseStatus} {socket.CloseStatusDescription})");
            }

            count += result.Count;
            if (result.EndOfMessage)
            {
                return count;
            }
        }
    }

    /// <summary>One append at a time, every 20 ms: each round trip is the time to its echoed delta.</summary>
    private static async Task<(List<long> RoundTrips, long Lost)> PingPongAsync(ClientWebSocket socket, double offset, long until, CancellationToken cancellationToken)
    {
        var roundTrips = new List<long>(1024);
        var pcm = new byte[BenchFrame.PcmBytes];
        BenchFrame.FillPcm(pcm);
        var frame = new byte[BenchFrame.TextFrameLength];
        var buffer = new byte[64 * 1024];
        var period = Stopwatch.Frequency / 50;

        // Spread the sessions over the period, as browsers are.
        await Task.Delay(TimeSpan.FromMilliseconds(20.0 * offset), cancellationToken).ConfigureAwait(false);
        for (long sequence = 0; Stopwatch.GetTimestamp() < until; sequence++)
        {
            var sent = Stopwatch.GetTimestamp();
            BenchFrame.WriteMarker(pcm, sequence, sent);
            var length = BenchFrame.WriteTextAppend(pcm, frame);
            await socket.SendAsync(frame.AsMemory(0, length), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                try
                {
                    while (true)
                    {
                        var count = await ReceiveMessageAsync(socket, buffer, timeout.Token).ConfigureAwait(false);
                        if (BenchFrame.TryReadMarkerFromDelta(buffer.AsSpan(0, count), out var echoed, out _) && echoed == sequence)
                        {
                            break;
                        }
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return (roundTrips, 1);
                }
            }

            var now = Stopwatch.GetTimestamp();
            roundTrips.Add(now - sent);
            var wait = sent + period - now;
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
            }
        }

        return (roundTrips, 0);
    }

    private sealed record Phase(List<long> RoundTrips, double CpuA, double CpuB, long Lost);

    /// <summary>A redis-server of the bench's own on a free loopback port, no persistence; killed at the end.</summary>
    private sealed class RedisProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private RedisProcess(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Port { get; }

        public static async Task<RedisProcess> StartAsync(CancellationToken cancellationToken)
        {
            var port = BridgeProcess.FreePort();
            var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning" })
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException("could not start redis-server");
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var redis = new RedisProcess(process, port);
            for (var attempt = 0; ; attempt++)
            {
                using var probe = new TcpClient();
                try
                {
                    await probe.ConnectAsync(System.Net.IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                    return redis;
                }
                catch (SocketException) when (attempt < 200 && !process.HasExited)
                {
                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }

            _process.Dispose();
        }
    }
}
