using System.Text.RegularExpressions;
using VoiceBridge.IntegrationTests.Diagnostics;
using VoiceBridge.IntegrationTests.Docs;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// The Prometheus rules shipped in <c>deploy/prometheus</c>: valid for Prometheus itself (<c>promtool</c>), their
/// unit tests pass, and they only name metrics the README's metrics table documents, so renaming a metric
/// without updating the alerts fails here rather than in production, silently.
/// </summary>
public sealed partial class AlertRulesTests
{
    private const string RulesFile = "deploy/prometheus/voicebridge-alerts.yml";
    private const string RulesTestFile = "deploy/prometheus/voicebridge-alerts.test.yml";
    private static readonly string[] HistogramSeriesSuffixes = ["_bucket", "_count", "_sum"];

    [Fact]
    public async Task RulesFile_PromtoolCheckRules_Succeeds()
    {
        var (exitCode, output) = await Promtool.RunAsync(["check", "rules", RepositoryFiles.PathOf(RulesFile)], TestTimeout.Token(60));

        Assert.True(exitCode == 0 && output.Contains("SUCCESS", StringComparison.Ordinal), $"promtool exit {exitCode}: {output}");
    }

    [Fact]
    public async Task RulesFile_PromtoolTestRules_AllPass()
    {
        var (exitCode, output) = await Promtool.RunAsync(["test", "rules", RepositoryFiles.PathOf(RulesTestFile)], TestTimeout.Token(60));

        Assert.True(exitCode == 0 && output.Contains("SUCCESS", StringComparison.Ordinal), $"promtool exit {exitCode}: {output}");
    }

    [Fact]
    public void RulesFile_EveryMetricName_IsInTheReadmeMetricsTable()
    {
        var documented = ReadmeMetricsTable();
        Assert.Contains("voicebridge_sessions_total", documented.Keys);

        var names = MetricNames(RepositoryFiles.Read(RulesFile)).Concat(MetricNames(RepositoryFiles.Read(RulesTestFile))).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("voicebridge_sessions_active", names);

        var undocumented = names.Where(name => !IsDocumented(name, documented)).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0, $"named in {RulesFile} (or its tests) but not in the README's metrics table: {string.Join(", ", undocumented)}");
    }

    [Fact]
    public void RulesFile_EveryAlert_HasSeveritySummaryDescriptionAndRunbook()
    {
        var alerts = Alerts(RepositoryFiles.Read(RulesFile));
        Assert.NotEmpty(alerts);

        var incomplete = alerts
            .Where(alert => !SeverityPattern().IsMatch(alert.Body)
                || !alert.Body.Contains("summary:", StringComparison.Ordinal)
                || !alert.Body.Contains("description:", StringComparison.Ordinal)
                || !alert.Body.Contains("runbook_url:", StringComparison.Ordinal))
            .Select(alert => alert.Name)
            .ToList();
        Assert.True(incomplete.Count == 0, $"alerts without severity (critical|warning), summary, description or runbook_url: {string.Join(", ", incomplete)}");
    }

    [Fact]
    public void RulesFile_RunbookUrls_PointAtReadmeHeadings()
    {
        var anchors = MarkdownAnchors.Anchors(RepositoryFiles.Read("README.md"));
        var urls = RunbookUrlPattern().Matches(RepositoryFiles.Read(RulesFile)).Select(match => match.Groups[1].Value).ToList();
        Assert.NotEmpty(urls);

        var broken = urls.Where(url => !url.StartsWith("README.md#", StringComparison.Ordinal) || !anchors.Contains(url["README.md#".Length..])).Distinct().ToList();
        Assert.True(broken.Count == 0, $"runbook_url not of the form README.md#<heading>: {string.Join(", ", broken)}");
    }

    /// <summary>Metric names (<c>voicebridge_…</c>, <c>process_…</c>, <c>dotnet_…</c>) in a rules file; recording rule names (with colons) are not metrics.</summary>
    private static IEnumerable<string> MetricNames(string text) =>
        IdentifierPattern().Matches(text)
            .Select(match => match.Value)
            .Where(identifier => !identifier.Contains(':', StringComparison.Ordinal) && MetricNamePattern().IsMatch(identifier));

    private static bool IsDocumented(string name, IReadOnlyDictionary<string, string> documented) =>
        documented.ContainsKey(name)
        || HistogramSeriesSuffixes.Any(suffix =>
            name.EndsWith(suffix, StringComparison.Ordinal)
            && documented.TryGetValue(name[..^suffix.Length], out var type)
            && type == "histogram");

    /// <summary>Name → type of every row of the README's metrics table (under <c>### Metrics</c>).</summary>
    private static Dictionary<string, string> ReadmeMetricsTable()
    {
        var readme = RepositoryFiles.Read("README.md");
        var start = readme.IndexOf("\n### Metrics\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '### Metrics' section");
        var end = readme.IndexOf("\n#", start + 1, StringComparison.Ordinal);
        var section = end < 0 ? readme[start..] : readme[start..end];

        return MetricRowPattern().Matches(section).ToDictionary(row => row.Groups[1].Value, row => row.Groups[2].Value, StringComparer.Ordinal);
    }

    private static List<(string Name, string Body)> Alerts(string rules)
    {
        var starts = AlertPattern().Matches(rules).ToList();
        return starts
            .Select((match, i) =>
            {
                var end = i + 1 < starts.Count ? starts[i + 1].Index : rules.Length;
                var next = rules.IndexOf("- name:", match.Index, end - match.Index, StringComparison.Ordinal);
                return (match.Groups[1].Value, rules[match.Index..(next < 0 ? end : next)]);
            })
            .ToList();
    }

    [GeneratedRegex(@"[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"^(voicebridge|process|dotnet)_[a-z0-9_]*[a-z0-9]$")]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex(@"^\| `([a-z_][a-z0-9_]*)` \| (counter|gauge|histogram) \|", RegexOptions.Multiline)]
    private static partial Regex MetricRowPattern();

    [GeneratedRegex(@"^\s*- alert: (\w+)", RegexOptions.Multiline)]
    private static partial Regex AlertPattern();

    [GeneratedRegex(@"^\s*severity: (critical|warning)\s*$", RegexOptions.Multiline)]
    private static partial Regex SeverityPattern();

    [GeneratedRegex(@"runbook_url: ""([^""]*)""")]
    private static partial Regex RunbookUrlPattern();
}
