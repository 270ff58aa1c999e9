using System.Text.RegularExpressions;
using VoiceBridge.IntegrationTests.Docs;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// <c>deploy/haproxy/haproxy.cfg</c>, the compose file's proxy: HAProxy's own checker accepts it (Debian's
/// <c>haproxy</c>, installed by <c>scripts/install-test-deps.sh</c>), and it sends upgrades to the compose file's
/// nodes, checked on <c>/readyz</c> so a draining node leaves rotation.
/// </summary>
public sealed partial class ProxyConfigTests
{
    private const string ConfigFile = "deploy/haproxy/haproxy.cfg";

    [Fact]
    public async Task HaproxyConfig_HaproxyCheck_IsValid_WithNoWarningButTheUnresolvedNodeNames()
    {
        var (exitCode, output) = await DeployFacts.RunToolAsync("haproxy", ["-c", "-f", RepositoryFiles.PathOf(ConfigFile)], TestTimeout.Token(60));

        Assert.True(exitCode == 0 && output.Contains("Configuration file is valid", StringComparison.Ordinal), $"haproxy -c exit {exitCode}: {output}");
        // The node names resolve on the compose network only (init-addr none lets HAProxy start without them).
        var warnings = output.Split('\n').Where(line => line.Contains("[WARNING]", StringComparison.Ordinal) && !line.Contains("could not resolve address", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 0, $"haproxy -c warnings: {string.Join(Environment.NewLine, warnings)}");
    }

    [Fact]
    public void HaproxyConfig_Servers_AreTheComposeBridgeNodes_OnTheImagePort()
    {
        var servers = ServerPattern().Matches(Config()).Select(match => (Name: match.Groups[1].Value, Address: match.Groups[2].Value)).ToList();
        var nodes = ComposeFileTests.Services().Keys.Cast<string>().Where(name => name.StartsWith("voicebridge-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(nodes, servers.Select(server => server.Name).Order(StringComparer.Ordinal));
        Assert.All(servers, server => Assert.Equal($"{server.Name}:{DeployFacts.ImagePort()}", server.Address));
    }

    [Fact]
    public void HaproxyConfig_HealthChecks_ReadinessNotLiveness()
    {
        var config = Config();

        Assert.Matches(@"(?m)^\s*option httpchk\s*$", config);
        Assert.Matches(@"(?m)^\s*http-check send meth GET uri /readyz\b", config);
        Assert.Matches(@"(?m)^\s*http-check expect status 200\s*$", config);
        Assert.Matches(@"(?m)^\s*default-server check\b", config);
    }

    [Fact]
    public void HaproxyConfig_WebSocketTunnels_OutliveManyKeepAlivePings()
    {
        var tunnel = TunnelTimeoutPattern().Match(Config());
        Assert.True(tunnel.Success, "no `timeout tunnel`: an upgraded call would fall under `timeout client`/`timeout server`");

        var value = DeployFacts.ComposeDuration(tunnel.Groups[1].Value);
        Assert.True(value >= TimeSpan.FromMinutes(10), $"timeout tunnel {value}: calls that go quiet would be cut by the proxy");
    }

    [Fact]
    public void HaproxyConfig_SetsXForwardedFor_AndKeepsManagementRoutesOff()
    {
        var config = Config();

        Assert.Matches(@"(?m)^\s*http-request set-header X-Forwarded-For %\[src\]\s*$", config);
        Assert.Matches(@"(?m)^\s*http-request deny .*path_beg /admin /metrics /v1/realtime/client_secrets /internal/(\s|$)", config);
    }

    private static string Config() => RepositoryFiles.Read(ConfigFile);

    [GeneratedRegex(@"(?m)^\s*server\s+(\S+)\s+(\S+)")]
    private static partial Regex ServerPattern();

    [GeneratedRegex(@"(?m)^\s*timeout tunnel\s+(\S+)\s*$")]
    private static partial Regex TunnelTimeoutPattern();
}
