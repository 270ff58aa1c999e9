using VoiceBridge.IntegrationTests.Diagnostics;
using VoiceBridge.IntegrationTests.Docs;
using static VoiceBridge.IntegrationTests.Deploy.DeployYaml;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary><c>deploy/prometheus/prometheus.yml</c>, the compose file's Prometheus: valid for <c>promtool</c>, with the shipped rules.</summary>
public sealed class PrometheusConfigTests
{
    private const string ConfigFile = "deploy/prometheus/prometheus.yml";

    [Fact]
    public async Task PrometheusConfig_PromtoolCheckConfig_SucceedsAndFindsTheShippedRules()
    {
        var (exitCode, output) = await Promtool.RunAsync(["check", "config", RepositoryFiles.PathOf(ConfigFile)], TestTimeout.Token(60));

        Assert.True(exitCode == 0, $"promtool exit {exitCode}: {output}");
        Assert.Contains("1 rule files found", output, StringComparison.Ordinal);
        Assert.Contains("voicebridge-alerts.yml", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PrometheusConfig_LoadsTheShippedRules_UnderTheJobNameTheyAssume()
    {
        Assert.Equal(["voicebridge-alerts.yml"], SeqAt(Single(ConfigFile), "rule_files").Cast<string>());
        Assert.Equal("/metrics", Str(VoiceBridgeJob(), "metrics_path") ?? "/metrics");
    }

    /// <summary>The scrape job the alert rules expect (<c>job="voicebridge"</c>).</summary>
    internal static Dictionary<object, object?> VoiceBridgeJob()
    {
        var jobs = SeqAt(Single(ConfigFile), "scrape_configs").Select(job => Map(job, "scrape_configs[]")).Where(job => Str(job, "job_name") == "voicebridge").ToList();
        Assert.True(jobs.Count == 1, $"{ConfigFile}: expected one scrape job named voicebridge (the alert rules select job=\"voicebridge\"), found {jobs.Count}");
        return jobs[0];
    }
}
