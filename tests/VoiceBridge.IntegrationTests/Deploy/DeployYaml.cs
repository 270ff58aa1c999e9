using VoiceBridge.IntegrationTests.Docs;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// The YAML files under <c>deploy/</c>, read with YamlDotNet as plain trees: mappings become dictionaries, sequences
/// lists, scalars strings. Anchors, aliases and merge keys (<c>&lt;&lt;: *anchor</c>, as compose files use them) are
/// resolved, so a test sees what compose or the API server would see.
/// </summary>
internal static class DeployYaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    /// <summary>Every document of the file (a file may hold several, separated by <c>---</c>); throws on invalid YAML.</summary>
    public static IReadOnlyList<object?> Documents(string relativePath)
    {
        using var reader = new StringReader(RepositoryFiles.Read(relativePath));
        var parser = new MergingParser(new Parser(reader));
        parser.Consume<StreamStart>();
        var documents = new List<object?>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Deserializer.Deserialize<object?>(parser));
        }

        parser.Consume<StreamEnd>();
        return documents;
    }

    /// <summary>The file's only document, which must be a mapping.</summary>
    public static Dictionary<object, object?> Single(string relativePath)
    {
        var documents = Documents(relativePath);
        Assert.True(documents.Count == 1, $"{relativePath}: expected one YAML document, found {documents.Count}");
        return Map(documents[0], relativePath);
    }

    /// <summary>The Kubernetes object of <paramref name="kind"/> among the YAML files of a folder (not its subfolders).</summary>
    public static Dictionary<object, object?> KubernetesObject(string folder, string kind)
    {
        var objects = Directory.EnumerateFiles(RepositoryFiles.PathOf(folder), "*.yaml")
            .Select(path => folder + "/" + Path.GetFileName(path))
            .SelectMany(Documents)
            .OfType<Dictionary<object, object?>>()
            .Where(document => Str(document, "kind") == kind)
            .ToList();
        Assert.True(objects.Count == 1, $"{folder}: expected one {kind}, found {objects.Count}");
        return objects[0];
    }

    public static Dictionary<object, object?> Map(object? node, string what) =>
        node as Dictionary<object, object?> ?? throw new InvalidOperationException($"{what}: expected a YAML mapping, got {Describe(node)}");

    public static List<object?> Seq(object? node, string what) =>
        node as List<object?> ?? throw new InvalidOperationException($"{what}: expected a YAML sequence, got {Describe(node)}");

    /// <summary>The mapping at a dotted path (<c>spec.template.spec</c>); throws naming the path when something is missing.</summary>
    public static Dictionary<object, object?> MapAt(Dictionary<object, object?> root, string path) => Map(At(root, path), path);

    public static List<object?> SeqAt(Dictionary<object, object?> root, string path) => Seq(At(root, path), path);

    /// <summary>The scalar at a dotted path, or null when any part of it is absent.</summary>
    public static string? Str(Dictionary<object, object?> root, string path) => TryAt(root, path, out var node) ? node as string : null;

    public static object? At(Dictionary<object, object?> root, string path) =>
        TryAt(root, path, out var node) ? node : throw new InvalidOperationException($"no '{path}' in the YAML");

    public static bool TryAt(Dictionary<object, object?> root, string path, out object? node)
    {
        node = root;
        foreach (var key in path.Split('.'))
        {
            if (node is not Dictionary<object, object?> map || !map.TryGetValue(key, out node))
            {
                node = null;
                return false;
            }
        }

        return true;
    }

    private static string Describe(object? node) => node switch
    {
        null => "nothing",
        string text => $"the scalar '{text}'",
        _ => node.GetType().Name,
    };
}
