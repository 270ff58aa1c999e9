using System.Text;
using System.Text.Json;

namespace VoiceBridge.Security;

/// <summary>
/// One node of the tree of allowed <c>session</c> paths. An allowed node covers its whole subtree;
/// a node that is not allowed exists only because an allowed path runs through it (it is traversed);
/// a name with no node is removed. Read-only once built.
/// </summary>
internal sealed class SessionFieldNode
{
    private readonly List<SessionFieldNode> _children = [];

    private SessionFieldNode(string name, string path)
    {
        Name = name;
        Path = path;
        Utf8Name = Encoding.UTF8.GetBytes(name);
    }

    public string Name { get; }

    public byte[] Utf8Name { get; }

    /// <summary>Dotted GA path from <c>session</c>; empty for the root.</summary>
    public string Path { get; }

    /// <summary>True when this path was listed: everything under it passes.</summary>
    public bool IsAllowed { get; private set; }

    public IReadOnlyList<SessionFieldNode> Children => _children;

    /// <summary>The root (<c>session</c> itself) of the tree of <paramref name="allowedPaths"/>; blank entries are ignored.</summary>
    /// <exception cref="ArgumentException">A path has an empty segment.</exception>
    public static SessionFieldNode CreateRoot(IEnumerable<string> allowedPaths)
    {
        ArgumentNullException.ThrowIfNull(allowedPaths);
        var root = new SessionFieldNode(string.Empty, string.Empty);
        foreach (var path in allowedPaths)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                continue;
            }

            var node = root;
            foreach (var segment in SessionFieldPaths.Split(path))
            {
                node = node.GetOrAddChild(segment);
            }

            node.IsAllowed = true;
        }

        return root;
    }

    /// <summary>The node at a dotted path below this one, or null.</summary>
    public SessionFieldNode? Resolve(string dottedPath)
    {
        var node = this;
        foreach (var segment in dottedPath.Split('.'))
        {
            node = node._children.Find(child => child.Name == segment);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>The child named by the reader's current property name (escapes decoded), or null.</summary>
    /// <remarks>A name that cannot be decoded (an escaped lone surrogate) matches nothing.</remarks>
    public SessionFieldNode? Find(ref Utf8JsonReader reader)
    {
        try
        {
            foreach (var child in _children)
            {
                if (reader.ValueTextEquals(child.Utf8Name))
                {
                    return child;
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        return null;
    }

    /// <summary>The child named like <paramref name="property"/> (escapes decoded), or null.</summary>
    public SessionFieldNode? Find(JsonProperty property)
    {
        try
        {
            foreach (var child in _children)
            {
                if (property.NameEquals(child.Utf8Name))
                {
                    return child;
                }
            }
        }
        catch (InvalidOperationException)
        {
        }

        return null;
    }

    private SessionFieldNode GetOrAddChild(string name)
    {
        var child = _children.Find(c => c.Name == name);
        if (child is null)
        {
            child = new SessionFieldNode(name, Path.Length == 0 ? name : Path + "." + name);
            _children.Add(child);
        }

        return child;
    }
}
