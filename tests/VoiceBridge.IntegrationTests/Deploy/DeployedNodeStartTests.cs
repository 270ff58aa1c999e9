using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.IntegrationTests.ProcessLevel;
using static VoiceBridge.IntegrationTests.Deploy.DeployYaml;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// The environment a deployment file gives a node, handed to the real built server (Production, its own process)
/// beside a real <c>redis-server</c> with a password: it must start, be ready, join the fleet under the node id the
/// file gives it, and drain on SIGTERM within the budget. What the file cannot have here is swapped, and only that:
/// the Redis host (<c>redis:6379</c>, the compose service or the cluster's Redis) becomes the loopback test server,
/// and the listen address a free loopback port. This is as close to running the compose file or the Deployment as
/// this machine gets without a container engine or a cluster.
/// </summary>
public sealed partial class DeployedNodeStartTests
{
    private const string RedisHost = "redis:6379";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ComposeNode_Environment_StartsAReadyNodeThatJoinsTheFleet_AndDrains(bool tokens)
    {
        var ct = TestTimeout.Token(60);
        var password = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToLowerInvariant();
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["OPENAI_API_KEY"] = BridgeProcess.TestApiKey,
            ["REDIS_PASSWORD"] = password,
            ["VOICEBRIDGE_CLUSTER_SECRET"] = "compose-test-cluster-secret-0123456789",
        };
        if (tokens)
        {
            // The optional variables set, as README "Deploying a fleet" shows; unset they interpolate to "" (= unset).
            variables["VOICEBRIDGE_AUTH_MODE"] = "Token";
            variables["VOICEBRIDGE_AUTH_SIGNING_KEY"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            variables["VOICEBRIDGE_ADMIN_KEY"] = "compose-test-admin-key-0123456789";
        }
        await using var redis = await RedisServer.StartAsync(ct, password);

        var environment = ComposeFileTests.Environment("voicebridge-1")
            .ToDictionary(pair => pair.Key, pair => Interpolate(pair.Value ?? "", variables), StringComparer.Ordinal);

        var output = await AssertNodeRunsAsync(environment, redis, "voicebridge-1", ct);

        // Without tokens the node says, at start, that anyone who reaches it talks on the key; with them it does not.
        Assert.Equal(!tokens, output.Any(line => line.Contains("SECURITY: VoiceBridge:Auth:Mode is None", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task KubernetesPod_Environment_StartsAReadyNodeThatJoinsTheFleet_AndDrains()
    {
        var ct = TestTimeout.Token(60);
        var secret = MapAt(Single("deploy/kubernetes/example/secret.yaml"), "stringData");
        const string PodName = "voicebridge-6d8f9c7b5-x2k4q";

        // Redis' password is the example Secret's placeholder: what matters is that it reaches Cluster:Redis intact.
        await using var redis = await RedisServer.StartAsync(ct, (string)secret["redis-password"]!);

        // As the kubelet builds it: downward API, secretKeyRef, then $(NAME) from the variables above each one.
        var container = Map(SeqAt(KubernetesObject("deploy/kubernetes", "Deployment"), "spec.template.spec.containers")[0], "containers[0]");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in SeqAt(container, "env").Select(entry => Map(entry, "env[]")))
        {
            var value = Str(variable, "valueFrom.fieldRef.fieldPath") switch
            {
                "metadata.name" => PodName,
                "status.podIP" => "127.0.0.1",
                null => Str(variable, "valueFrom.secretKeyRef.key") is { } key ? (string)secret[key]! : Str(variable, "value")!,
                var other => throw new InvalidOperationException($"no stand-in for the field {other}"),
            };
            environment[Str(variable, "name")!] = ReferencePattern().Replace(value, match => environment.GetValueOrDefault(match.Groups[1].Value, match.Value));
        }

        await AssertNodeRunsAsync(environment, redis, PodName, ct);
    }

    /// <summary>Runs the node to its drained exit; returns what it printed on stdout.</summary>
    private static async Task<IReadOnlyList<string>> AssertNodeRunsAsync(Dictionary<string, string> environment, RedisServer redis, string nodeId, CancellationToken ct)
    {
        var redisSetting = environment["VoiceBridge__Cluster__Redis"];
        Assert.StartsWith(RedisHost + ",", redisSetting, StringComparison.Ordinal);
        environment["VoiceBridge__Cluster__Redis"] = $"127.0.0.1:{redis.Port.ToString(CultureInfo.InvariantCulture)}" + redisSetting[RedisHost.Length..];

        await using var bridge = BridgeProcess.Start("Production", environment);
        (await bridge.WaitForHealthyAsync(ct)).Dispose();
        using (var ready = await bridge.GetAsync("/readyz", ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // Joined: its lease is in Redis under the file's node id (within 15 s: the gauge's 10 s plus slack), and its gauge says so.
        var joinBy = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while (!(await redis.Database.SortedSetScoreAsync("voicebridge:fleet:nodes", nodeId)).HasValue)
        {
            Assert.False(bridge.HasExited, bridge.Transcript);
            Assert.True(DateTimeOffset.UtcNow < joinBy, $"the node did not join the fleet as {nodeId} within 15 s\n{bridge.Transcript}");
            await Task.Delay(100, ct);
        }

        using (var metrics = await bridge.GetAsync("/metrics", ct))
        {
            Assert.Matches(ConnectedPattern(), await metrics.Content.ReadAsStringAsync(ct));
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        await bridge.SendSigtermAsync(ct);
        Assert.Equal(0, await bridge.WaitForExitAsync(ct));
        Assert.True(stopwatch.Elapsed < DeployFacts.DrainBudget, $"SIGTERM took {stopwatch.Elapsed}\n{bridge.Transcript}");
        Assert.DoesNotContain(bridge.StdoutLines.Concat(bridge.StderrLines), line => line.Contains("\"Level\":\"Error\"", StringComparison.Ordinal) || line.Contains("\"Level\":\"Fatal\"", StringComparison.Ordinal));
        return bridge.StdoutLines;
    }

    /// <summary>Compose's interpolation: <c>${NAME}</c>, <c>${NAME:-default}</c>, <c>${NAME:?message}</c> (required), <c>$$</c>.</summary>
    internal static string Interpolate(string value, IReadOnlyDictionary<string, string> variables) =>
        InterpolationPattern().Replace(value, match =>
        {
            if (match.Value == "$$")
            {
                return "$";
            }

            var name = match.Groups[1].Value;
            var set = variables.TryGetValue(name, out var found) && found.Length > 0;
            return match.Groups[2].Value switch
            {
                ":-" => set ? found! : match.Groups[3].Value,
                ":?" => set ? found! : throw new InvalidOperationException($"compose would refuse to start: {name} is required ({match.Groups[3].Value})"),
                _ => found ?? "",
            };
        });

    [GeneratedRegex(@"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}")]
    private static partial Regex InterpolationPattern();

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"(?m)^voicebridge_cluster_connected(\{\})? 1(\s|$)")]
    private static partial Regex ConnectedPattern();
}
