namespace VoiceBridge.IntegrationTests.Docs;

/// <summary>Files of this repository as checked out (README, deploy files), found from the test binary upwards.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relativePath) => File.ReadAllText(PathOf(relativePath));

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "VoiceBridge.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No VoiceBridge.sln above {AppContext.BaseDirectory}: the tests must run from a checkout.");
    }
}
