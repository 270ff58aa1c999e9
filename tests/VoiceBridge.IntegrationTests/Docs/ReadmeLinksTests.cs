namespace VoiceBridge.IntegrationTests.Docs;

/// <summary>The READMEs link into themselves and each other; a renamed heading or moved file must break a test.</summary>
public sealed class ReadmeLinksTests
{
    public static TheoryData<string> Readmes => ["README.md", "bench/README.md"];

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Readme_AnchorLinks_ResolveToHeadings(string readme)
    {
        var broken = new List<string>();
        foreach (var target in LocalTargets(readme))
        {
            var hash = target.IndexOf('#', StringComparison.Ordinal);
            if (hash < 0)
            {
                continue;
            }

            var file = hash == 0 ? readme : Resolve(readme, target[..hash]);
            var anchor = target[(hash + 1)..];
            if (!File.Exists(RepositoryFiles.PathOf(file)) || !MarkdownAnchors.Anchors(RepositoryFiles.Read(file)).Contains(anchor))
            {
                broken.Add(target);
            }
        }

        Assert.True(broken.Count == 0, $"{readme}: links to no heading: {string.Join(", ", broken)}");
    }

    [Theory]
    [MemberData(nameof(Readmes))]
    public void Readme_FileLinks_PointAtFilesInTheRepository(string readme)
    {
        var missing = LocalTargets(readme)
            .Select(target => target.Split('#')[0])
            .Where(path => path.Length > 0)
            .Select(path => Resolve(readme, path))
            .Where(path => !File.Exists(RepositoryFiles.PathOf(path)) && !Directory.Exists(RepositoryFiles.PathOf(path)))
            .ToList();

        Assert.True(missing.Count == 0, $"{readme}: links to missing files: {string.Join(", ", missing)}");
    }

    private static IEnumerable<string> LocalTargets(string readme) =>
        MarkdownAnchors.LinkTargets(RepositoryFiles.Read(readme))
            .Where(target => !target.Contains("://", StringComparison.Ordinal) && !target.StartsWith("mailto:", StringComparison.Ordinal));

    /// <summary>A link's path, relative to the linking file's folder, as a path from the repository root.</summary>
    private static string Resolve(string fromFile, string path)
    {
        var folder = Path.GetDirectoryName(RepositoryFiles.PathOf(fromFile))!;
        return Path.GetRelativePath(RepositoryFiles.Root, Path.GetFullPath(Path.Combine(folder, path)));
    }
}
