using System.Text.Json;

namespace VoiceBridge.Security;

/// <summary>
/// Which fields a token's <c>session</c> claim (or a minting request's <c>session</c>) may set: the dotted GA
/// paths of <c>Session:TokenMayUpdate</c>, each covering its whole subtree, plus the top-level <c>type</c>.
/// </summary>
/// <remarks>
/// An object on the way to an allowed path (<c>audio</c>, <c>audio.input</c> for <c>audio.input.turn_detection</c>)
/// is walked into; anything else at such a place — a string, null, an array — would replace the whole subtree
/// upstream, so it is refused. A member name holding a dot is refused too: it would read as a path here and
/// as a single odd name upstream.
/// </remarks>
internal static class TokenSessionClaim
{
    /// <summary>How many refused paths a message lists at most.</summary>
    public const int MaxReported = 10;

    /// <summary>The refused paths (dotted, at most <see cref="MaxReported"/>); empty when every field is allowed.</summary>
    /// <exception cref="ArgumentException"><paramref name="session"/> is not a JSON object.</exception>
    public static IReadOnlyList<string> FindDisallowed(JsonElement session, IReadOnlyList<string> allowed)
    {
        ArgumentNullException.ThrowIfNull(allowed);
        if (session.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException("The session claim must be a JSON object.", nameof(session));
        }

        var refused = new List<string>();
        Walk(session, prefix: null, allowed, refused);
        return refused;
    }

    private static void Walk(JsonElement obj, string? prefix, IReadOnlyList<string> allowed, List<string> refused)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (refused.Count >= MaxReported)
            {
                return;
            }

            var name = property.Name;
            var path = prefix is null ? name : $"{prefix}.{name}";
            if (name.Length == 0 || name.Contains('.', StringComparison.Ordinal))
            {
                refused.Add(path);
            }
            else if ((prefix is null && name == "type") || IsCovered(path, allowed))
            {
                continue;
            }
            else if (property.Value.ValueKind == JsonValueKind.Object && LeadsToAllowed(path, allowed))
            {
                Walk(property.Value, path, allowed, refused);
            }
            else
            {
                refused.Add(path);
            }
        }
    }

    private static bool IsCovered(string path, IReadOnlyList<string> allowed)
    {
        foreach (var entry in allowed)
        {
            if (path.Length >= entry.Length && path.StartsWith(entry, StringComparison.Ordinal)
                && (path.Length == entry.Length || path[entry.Length] == '.'))
            {
                return true;
            }
        }

        return false;
    }

    private static bool LeadsToAllowed(string path, IReadOnlyList<string> allowed)
    {
        foreach (var entry in allowed)
        {
            if (entry.Length > path.Length && entry.StartsWith(path, StringComparison.Ordinal) && entry[path.Length] == '.')
            {
                return true;
            }
        }

        return false;
    }
}
