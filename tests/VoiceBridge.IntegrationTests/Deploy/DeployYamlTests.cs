using VoiceBridge.IntegrationTests.Docs;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>Every YAML file under <c>deploy/</c> parses (YamlDotNet) into at least one non-empty document.</summary>
public sealed class DeployYamlTests
{
    [Fact]
    public void EveryYamlFile_UnderDeploy_Parses()
    {
        var deploy = RepositoryFiles.PathOf("deploy");
        var files = Directory.EnumerateFiles(deploy, "*.*", SearchOption.AllDirectories)
            .Where(path => path.EndsWith(".yaml", StringComparison.Ordinal) || path.EndsWith(".yml", StringComparison.Ordinal))
            .Select(path => "deploy/" + Path.GetRelativePath(deploy, path).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains("deploy/compose.yaml", files);
        Assert.Contains("deploy/kubernetes/deployment.yaml", files);

        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                var documents = DeployYaml.Documents(file);
                if (documents.Count == 0 || documents.Any(document => document is null))
                {
                    failures.Add($"{file}: an empty document");
                }
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                failures.Add($"{file}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }
}
