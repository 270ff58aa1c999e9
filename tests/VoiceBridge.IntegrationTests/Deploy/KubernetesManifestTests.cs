using System.Globalization;
using System.Text.RegularExpressions;
using static VoiceBridge.IntegrationTests.Deploy.DeployYaml;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// <c>deploy/kubernetes/</c>. No cluster runs here, so these tests check what a cluster would only reveal at the
/// worst moment: probes on the wrong path or port, a grace period that cuts the drain, a misspelt configuration key
/// (silently ignored), a <c>$(VAR)</c> that expands to nothing, selectors that select no pod.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private const string Folder = "deploy/kubernetes";
    private const string SecretExample = "deploy/kubernetes/example/secret.yaml";

    [Fact]
    public void Deployment_RunsAtLeastTwoReplicas_ReplacingPodsBeforeDrainingOld()
    {
        var deployment = Deployment();

        Assert.True(int.Parse(Str(deployment, "spec.replicas") ?? "1", CultureInfo.InvariantCulture) >= 2, "fewer than 2 replicas");
        Assert.Equal("0", Str(deployment, "spec.strategy.rollingUpdate.maxUnavailable"));
    }

    [Fact]
    public void Deployment_Probes_ReadinessOnReadyz_LivenessOnHealthz_OnTheImagePort()
    {
        var container = Container();
        var port = DeployFacts.ImagePort();

        Assert.Equal("/readyz", Str(container, "readinessProbe.httpGet.path"));
        Assert.Equal("/healthz", Str(container, "livenessProbe.httpGet.path"));
        Assert.Equal(port, ContainerPort(container, Str(container, "readinessProbe.httpGet.port")));
        Assert.Equal(port, ContainerPort(container, Str(container, "livenessProbe.httpGet.port")));
    }

    [Fact]
    public void Deployment_PreStopAndDrain_FitInTheTerminationGracePeriod()
    {
        var deployment = Deployment();
        var grace = TimeSpan.FromSeconds(int.Parse(Str(deployment, "spec.template.spec.terminationGracePeriodSeconds") ?? "30", CultureInfo.InvariantCulture));
        var preStop = PreStopSleep(Container());

        Assert.True(preStop >= TimeSpan.FromSeconds(2), $"preStop sleeps {preStop}: endpoints and proxies may still send upgrades to a pod that is draining");
        Assert.True(preStop + DeployFacts.DrainBudget < grace, $"preStop {preStop} + drain budget {DeployFacts.DrainBudget} do not fit in terminationGracePeriodSeconds {grace}: SIGKILL would cut the drain");
    }

    [Fact]
    public void Deployment_EnvironmentKeys_AreKeysTheBridgeHas()
    {
        var keys = Environment().Select(variable => Str(variable, "name")!).Where(name => name.StartsWith(BridgeConfigurationKeys.Prefix, StringComparison.Ordinal)).ToList();
        Assert.Contains("VoiceBridge__Cluster__NodeId", keys);

        var unknown = keys.Select(BridgeConfigurationKeys.Problem).OfType<string>().ToList();
        Assert.True(unknown.Count == 0, string.Join(System.Environment.NewLine, unknown));
    }

    [Fact]
    public void Deployment_EveryVariableReference_NamesAVariableDefinedAboveIt()
    {
        // Kubernetes leaves "$(NAME)" as it is when NAME is not defined earlier in the list: no error, a wrong value.
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var variable in Environment())
        {
            var name = Str(variable, "name")!;
            foreach (Match reference in ReferencePattern().Matches(Str(variable, "value") ?? ""))
            {
                Assert.True(defined.Contains(reference.Groups[1].Value), $"{name} refers to $({reference.Groups[1].Value}), which is not defined above it");
            }

            defined.Add(name);
        }
    }

    [Fact]
    public void Deployment_NodeIdIsThePodName_InternalUrlThePodIpOnTheImagePort()
    {
        var variables = Environment().ToDictionary(variable => Str(variable, "name")!, StringComparer.Ordinal);

        Assert.Equal("metadata.name", Str(variables["VoiceBridge__Cluster__NodeId"], "valueFrom.fieldRef.fieldPath"));
        Assert.Equal("status.podIP", Str(variables["POD_IP"], "valueFrom.fieldRef.fieldPath"));
        Assert.Equal($"http://$(POD_IP):{DeployFacts.ImagePort()}", Str(variables["VoiceBridge__Cluster__InternalUrl"], "value"));
    }

    [Fact]
    public void Deployment_Secrets_ComeFromTheSecret_WhichTheExampleDescribes()
    {
        var variables = Environment().ToDictionary(variable => Str(variable, "name")!, StringComparer.Ordinal);
        var example = Single(SecretExample);
        Assert.Equal("Secret", Str(example, "kind"));
        var exampleKeys = MapAt(example, "stringData").Keys.Cast<string>().ToHashSet(StringComparer.Ordinal);

        foreach (var name in new[] { "VoiceBridge__Upstream__ApiKey", "VoiceBridge__Cluster__Secret", "REDIS_PASSWORD" })
        {
            Assert.True(variables.TryGetValue(name, out var variable), $"{name} is not set");
            Assert.Null(Str(variable, "value"));
            Assert.Equal(Str(example, "metadata.name"), Str(variable, "valueFrom.secretKeyRef.name"));
            Assert.Contains(Str(variable, "valueFrom.secretKeyRef.key") ?? "(absent)", exampleKeys);
        }

        Assert.Matches(@"^[^,]+,password=\$\(REDIS_PASSWORD\)$", Str(variables["VoiceBridge__Cluster__Redis"], "value") ?? "(absent)");
        Assert.All(MapAt(example, "stringData").Values.Cast<string>(), value => Assert.StartsWith("REPLACE", value, StringComparison.Ordinal));
    }

    [Fact]
    public void Deployment_RunsAsNonRoot_WithAReadOnlyRootFilesystem_AndAWritableTmp()
    {
        var pod = MapAt(Deployment(), "spec.template.spec");
        var container = Container();

        Assert.Equal("true", Str(pod, "securityContext.runAsNonRoot"));
        Assert.Equal("true", Str(container, "securityContext.readOnlyRootFilesystem"));
        Assert.Equal("false", Str(container, "securityContext.allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], SeqAt(container, "securityContext.capabilities.drop").Cast<string>());
        Assert.Contains(SeqAt(container, "volumeMounts").Select(mount => Map(mount, "volumeMounts[]")), mount => Str(mount, "mountPath") == "/tmp");
        Assert.NotNull(Str(container, "resources.requests.memory"));
        Assert.NotNull(Str(container, "resources.limits.memory"));
    }

    [Fact]
    public void ServiceAndPodDisruptionBudget_SelectTheDeploymentsPods_OnTheImagePort()
    {
        var podLabels = StringMap(MapAt(Deployment(), "spec.template.metadata.labels"));
        Assert.Equal(StringMap(MapAt(Deployment(), "spec.selector.matchLabels")), podLabels.Where(label => MapAt(Deployment(), "spec.selector.matchLabels").ContainsKey(label.Key)).ToDictionary());

        var service = KubernetesObject(Folder, "Service");
        Assert.All(StringMap(MapAt(service, "spec.selector")), label => Assert.Equal(label.Value, podLabels.GetValueOrDefault(label.Key)));
        var servicePort = Map(SeqAt(service, "spec.ports")[0], "spec.ports[0]");
        Assert.Equal(DeployFacts.ImagePort(), ContainerPort(Container(), Str(servicePort, "targetPort")));
        Assert.Null(Str(service, "spec.sessionAffinity"));

        var budget = KubernetesObject(Folder, "PodDisruptionBudget");
        Assert.All(StringMap(MapAt(budget, "spec.selector.matchLabels")), label => Assert.Equal(label.Value, podLabels.GetValueOrDefault(label.Key)));
        Assert.Equal("1", Str(budget, "spec.maxUnavailable"));
    }

    private static Dictionary<object, object?> Deployment() => KubernetesObject(Folder, "Deployment");

    private static Dictionary<object, object?> Container()
    {
        var containers = SeqAt(Deployment(), "spec.template.spec.containers");
        Assert.Single(containers);
        return Map(containers[0], "containers[0]");
    }

    private static List<Dictionary<object, object?>> Environment() => SeqAt(Container(), "env").Select(variable => Map(variable, "env[]")).ToList();

    /// <summary>The container port a probe or Service names, by number or by the port's name.</summary>
    private static int ContainerPort(Dictionary<object, object?> container, string? port)
    {
        Assert.NotNull(port);
        var ports = SeqAt(container, "ports").Select(entry => Map(entry, "ports[]")).ToList();
        var match = ports.FirstOrDefault(entry => Str(entry, "name") == port || Str(entry, "containerPort") == port);
        Assert.True(match is not null, $"'{port}' is not a port of the container");
        return int.Parse(Str(match, "containerPort")!, CultureInfo.InvariantCulture);
    }

    /// <summary>How long preStop holds the pod before SIGTERM: the kubelet's sleep action, or an exec of sleep.</summary>
    private static TimeSpan PreStopSleep(Dictionary<object, object?> container)
    {
        if (Str(container, "lifecycle.preStop.sleep.seconds") is { } seconds)
        {
            return TimeSpan.FromSeconds(int.Parse(seconds, CultureInfo.InvariantCulture));
        }

        var command = SeqAt(container, "lifecycle.preStop.exec.command").Cast<string>().ToList();
        Assert.True(command is ["sleep", _], $"preStop runs {string.Join(' ', command)}, not a sleep");
        return TimeSpan.FromSeconds(double.Parse(command[1], CultureInfo.InvariantCulture));
    }

    private static Dictionary<string, string?> StringMap(Dictionary<object, object?> map) =>
        map.ToDictionary(pair => (string)pair.Key, pair => pair.Value as string, StringComparer.Ordinal);

    [GeneratedRegex(@"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")]
    private static partial Regex ReferencePattern();
}
