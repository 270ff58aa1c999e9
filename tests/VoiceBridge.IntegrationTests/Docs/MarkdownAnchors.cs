using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace VoiceBridge.IntegrationTests.Docs;

/// <summary>
/// Headings of a Markdown file as GitHub turns them into anchors (lower case; only letters, digits, spaces,
/// hyphens and underscores kept; spaces become hyphens; a repeated slug gets <c>-1</c>, <c>-2</c>…), and the
/// links a file makes. Lines inside fenced code blocks are neither headings nor links.
/// </summary>
internal static partial class MarkdownAnchors
{
    public static IReadOnlySet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in OutsideCodeBlocks(markdown))
        {
            var heading = HeadingPattern().Match(line);
            if (!heading.Success)
            {
                continue;
            }

            var slug = Slug(heading.Groups[1].Value);
            var unique = slug;
            for (var n = 1; !anchors.Add(unique); n++)
            {
                unique = slug + "-" + n.ToString(CultureInfo.InvariantCulture);
            }
        }

        return anchors;
    }

    /// <summary>Every <c>](target)</c> of the file outside code blocks: a URL, a path, <c>#anchor</c> or <c>path#anchor</c>.</summary>
    public static IReadOnlyList<string> LinkTargets(string markdown) =>
        OutsideCodeBlocks(markdown)
            .SelectMany(line => LinkPattern().Matches(line).Select(match => match.Groups[1].Value))
            .ToList();

    public static string Slug(string headingText)
    {
        var slug = new StringBuilder(headingText.Length);
        foreach (var c in headingText.Trim().ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
            {
                slug.Append(c);
            }
            else if (c == ' ')
            {
                slug.Append('-');
            }
        }

        return slug.ToString();
    }

    private static IEnumerable<string> OutsideCodeBlocks(string markdown)
    {
        var inFence = false;
        foreach (var line in markdown.Split('\n'))
        {
            var trimmed = line.TrimStart();
            if (trimmed.StartsWith("```", StringComparison.Ordinal) || trimmed.StartsWith("~~~", StringComparison.Ordinal))
            {
                inFence = !inFence;
                continue;
            }

            if (!inFence)
            {
                yield return line.TrimEnd('\r');
            }
        }
    }

    [GeneratedRegex(@"^#{1,6}\s+(.+?)\s*#*\s*$")]
    private static partial Regex HeadingPattern();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex LinkPattern();
}
