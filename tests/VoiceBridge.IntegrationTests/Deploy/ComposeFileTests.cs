using System.Net;
using System.Text.RegularExpressions;
using VoiceBridge.IntegrationTests.Docs;
using static VoiceBridge.IntegrationTests.Deploy.DeployYaml;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// <c>deploy/compose.yaml</c>, read as compose reads it (merge keys resolved). No container engine runs here, so
/// these tests check what can go wrong without one: the services and their health checks, the bridge's
/// configuration keys, the secrets coming from the environment, the grace period against the drain budget, and
/// that the proxy and Prometheus configurations name the nodes the file defines.
/// </summary>
public sealed partial class ComposeFileTests
{
    private const string ComposeFile = "deploy/compose.yaml";
    private static readonly string[] BridgeNodes = ["voicebridge-1", "voicebridge-2"];

    [Fact]
    public void Compose_Services_TwoBridgeNodesRedisProxyAndPrometheus_EachWithAHealthCheck()
    {
        var services = Services();

        Assert.Equal(["prometheus", "proxy", "redis", .. BridgeNodes], services.Keys.Cast<string>().Order(StringComparer.Ordinal));
        var withoutCheck = services.Where(service => !TryAt(Map(service.Value, (string)service.Key), "healthcheck.test", out var test) || test is null)
            .Select(service => (string)service.Key)
            .ToList();
        Assert.True(withoutCheck.Count == 0, $"services without a health check: {string.Join(", ", withoutCheck)}");
    }

    [Fact]
    public void Compose_BridgeNodes_BuildTheRepositoryDockerfile()
    {
        foreach (var node in BridgeNodes)
        {
            var service = Service(node);
            var context = Str(service, "build.context");
            Assert.NotNull(context);
            Assert.True(File.Exists(Path.Combine(RepositoryFiles.PathOf("deploy"), context, Str(service, "build.dockerfile") ?? "Dockerfile")), $"{node}: no Dockerfile at its build context");
            Assert.Equal(RepositoryFiles.Root.TrimEnd('/'), Path.GetFullPath(Path.Combine(RepositoryFiles.PathOf("deploy"), context)).TrimEnd('/'));
        }
    }

    [Fact]
    public void Compose_EnvironmentKeys_AreKeysTheBridgeHas()
    {
        var keys = BridgeNodes.SelectMany(node => Environment(node).Keys).Where(key => key.StartsWith(BridgeConfigurationKeys.Prefix, StringComparison.Ordinal)).Distinct().ToList();
        Assert.Contains("VoiceBridge__Cluster__Redis", keys);

        var unknown = keys.Select(BridgeConfigurationKeys.Problem).OfType<string>().ToList();
        Assert.True(unknown.Count == 0, string.Join(System.Environment.NewLine, unknown));
    }

    [Fact]
    public void Compose_BridgeNodes_HaveTheirOwnNodeIdAndInternalUrlOnTheComposeNetwork()
    {
        var port = DeployFacts.ImagePort();
        foreach (var node in BridgeNodes)
        {
            var environment = Environment(node);
            Assert.Equal(node, environment.GetValueOrDefault("VoiceBridge__Cluster__NodeId"));
            Assert.Equal($"http://{node}:{port}", environment.GetValueOrDefault("VoiceBridge__Cluster__InternalUrl"));
        }

        // Everything else is the fleet's: the same Redis, secret, key and upstream on every node.
        var shared = BridgeNodes.Select(node => Environment(node).Where(pair => !pair.Key.StartsWith("VoiceBridge__Cluster__NodeId", StringComparison.Ordinal) && !pair.Key.StartsWith("VoiceBridge__Cluster__InternalUrl", StringComparison.Ordinal)).ToDictionary()).ToList();
        Assert.Equal(shared[0], shared[1]);
    }

    [Fact]
    public void Compose_Secrets_AreRequiredFromTheEnvironment_NeverWritten()
    {
        var environment = Environment(BridgeNodes[0]);

        foreach (var key in new[] { "VoiceBridge__Upstream__ApiKey", "VoiceBridge__Cluster__Secret" })
        {
            Assert.Matches(RequiredVariablePattern(), environment.GetValueOrDefault(key) ?? "(absent)");
        }

        Assert.Matches(@"^redis:6379,password=\$\{REDIS_PASSWORD:\?[^}]+\}$", environment.GetValueOrDefault("VoiceBridge__Cluster__Redis") ?? "(absent)");

        var redis = Service("redis");
        var redisEnvironment = Map(At(redis, "environment"), "redis.environment");
        Assert.Matches(RequiredVariablePattern(), (string?)redisEnvironment["REDIS_PASSWORD"] ?? "(absent)");
        var command = string.Join(' ', SeqAt(redis, "command").Cast<string>());
        Assert.Contains("requirepass $REDIS_PASSWORD", command.Replace("$$", "$", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_BridgeNodes_StopGracePeriod_ExceedsTheDrainBudget()
    {
        foreach (var node in BridgeNodes)
        {
            var grace = DeployFacts.ComposeDuration(Str(Service(node), "stop_grace_period") ?? "10s");
            Assert.True(grace > DeployFacts.DrainBudget, $"{node}: stop_grace_period {grace} is not above the drain budget {DeployFacts.DrainBudget}: SIGKILL would cut the drain");
        }
    }

    [Fact]
    public void Compose_TrustedProxy_IsTheProxysFixedAddress_OnTheNetwork()
    {
        var proxyAddress = Str(Service("proxy"), "networks.voicebridge.ipv4_address");
        Assert.NotNull(proxyAddress);
        Assert.Equal(proxyAddress, Environment(BridgeNodes[0]).GetValueOrDefault("VoiceBridge__Limits__TrustedProxies__0"));

        var subnet = Str(Map(Seq(At(Compose(), "networks.voicebridge.ipam.config"), "ipam.config")[0], "ipam.config[0]"), "subnet");
        Assert.NotNull(subnet);
        Assert.True(IPNetwork.Parse(subnet).Contains(IPAddress.Parse(proxyAddress)), $"the proxy's {proxyAddress} is outside the network's {subnet}");
    }

    [Fact]
    public void Compose_MountedFiles_Exist()
    {
        var sources = Services().Values
            .Select(service => Map(service, "service"))
            .Where(service => service.ContainsKey("volumes"))
            .SelectMany(service => SeqAt(service, "volumes").Cast<string>())
            .Select(volume => volume.Split(':')[0])
            .Where(source => source.StartsWith("./", StringComparison.Ordinal))
            .ToList();
        Assert.Contains("./haproxy/haproxy.cfg", sources);

        var missing = sources.Where(source => !Path.Exists(Path.Combine(RepositoryFiles.PathOf("deploy"), source))).ToList();
        Assert.True(missing.Count == 0, $"mounted but not in deploy/: {string.Join(", ", missing)}");
    }

    [Fact]
    public void Compose_Prometheus_LoadsTheShippedConfigAndScrapesEveryBridgeNode()
    {
        var command = SeqAt(Service("prometheus"), "command").Cast<string>().ToList();
        Assert.Contains("--config.file=/etc/prometheus/voicebridge/prometheus.yml", command);
        Assert.Contains("./prometheus:/etc/prometheus/voicebridge:ro", SeqAt(Service("prometheus"), "volumes").Cast<string>());

        var job = PrometheusConfigTests.VoiceBridgeJob();
        var targets = SeqAt(job, "static_configs").SelectMany(config => SeqAt(Map(config, "static_configs[]"), "targets").Cast<string>()).Order(StringComparer.Ordinal);
        Assert.Equal(BridgeNodes.Select(node => $"{node}:{DeployFacts.ImagePort()}"), targets);
    }

    internal static Dictionary<object, object?> Compose() => Single(ComposeFile);

    internal static Dictionary<object, object?> Services() => MapAt(Compose(), "services");

    internal static Dictionary<object, object?> Service(string name) => MapAt(Services(), name);

    /// <summary>A service's environment as compose passes it (merge keys resolved, values uninterpolated).</summary>
    internal static Dictionary<string, string?> Environment(string service) =>
        MapAt(Service(service), "environment").ToDictionary(pair => (string)pair.Key, pair => pair.Value as string, StringComparer.Ordinal);

    [GeneratedRegex(@"^\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}$")]
    private static partial Regex RequiredVariablePattern();
}
