using System.Collections;
using System.Reflection;
using VoiceBridge.Cluster;

namespace VoiceBridge.IntegrationTests.Deploy;

/// <summary>
/// Whether an environment variable <c>VoiceBridge__Section__Key</c> names a key the bridge binds: the section must be
/// the <c>SectionName</c> of one of its options classes and each further part a property of it (an index for a list),
/// spelled as in the class. A key renamed in the code, or misspelt in a deployment file, fails here instead of being
/// silently ignored by the configuration binder in production.
/// </summary>
internal static class BridgeConfigurationKeys
{
    public const string Prefix = "VoiceBridge__";

    private static readonly Lazy<IReadOnlyList<(string Section, Type Options)>> Sections = new(FindSections);

    /// <summary>Null when <paramref name="variable"/> is a key of the bridge, else why it is not.</summary>
    public static string? Problem(string variable)
    {
        if (!variable.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return $"{variable} does not start with {Prefix}";
        }

        var key = variable.Replace("__", ":", StringComparison.Ordinal);
        var match = Sections.Value.FirstOrDefault(section => key.StartsWith(section.Section + ":", StringComparison.Ordinal));
        if (match.Options is null)
        {
            return $"{variable}: no options class of the bridge has a section that {key} starts with (sections: {string.Join(", ", Sections.Value.Select(s => s.Section))})";
        }

        var type = match.Options;
        var parts = key[(match.Section.Length + 1)..].Split(':');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (ElementType(type) is { } element)
            {
                if (!int.TryParse(part, out _))
                {
                    return $"{variable}: {string.Join(':', parts[..i])} is a list; its entries are indexes (…__0), not '{part}'";
                }

                type = element;
                continue;
            }

            if (IsScalar(type))
            {
                return $"{variable}: {string.Join(':', parts[..i])} is a single value, it has no '{part}'";
            }

            var property = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .FirstOrDefault(p => p.Name == part && (p.CanWrite || ElementType(p.PropertyType) is not null));
            if (property is null)
            {
                return $"{variable}: {type.Name} ({match.Section}) has no settable property '{part}'";
            }

            type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        }

        return null;
    }

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string))
        {
            return null;
        }

        if (type.IsArray)
        {
            return type.GetElementType();
        }

        return type.IsGenericType && type.GetGenericArguments().Length == 1 && typeof(IEnumerable).IsAssignableFrom(type)
            ? type.GetGenericArguments()[0]
            : null;
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) || type == typeof(Uri);

    /// <summary>Every type of the bridge's assembly with a <c>const string SectionName</c>, longest section first.</summary>
    private static IReadOnlyList<(string Section, Type Options)> FindSections() =>
        typeof(ClusterOptions).Assembly.GetTypes()
            .Select(type => (Type: type, Field: type.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(candidate => candidate.Field is { IsLiteral: true } && candidate.Field.FieldType == typeof(string))
            .Select(candidate => ((string)candidate.Field!.GetRawConstantValue()!, candidate.Type))
            .OrderByDescending(section => section.Item1.Length)
            .ToList();
}
