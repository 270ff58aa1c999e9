using System.Globalization;
using System.Text;

namespace VoiceBridge.Tests.Diagnostics;

/// <summary>
/// A strict reader of the Prometheus text format 0.0.4, written from the format's rules, independent of the
/// writer: it rejects a malformed line, a sample whose family has no HELP and TYPE before it, a second HELP or
/// TYPE, a family whose series are not contiguous, a counter not ending in <c>_total</c>, a histogram whose
/// buckets are not cumulative or end elsewhere than <c>+Inf</c> = <c>_count</c>, and output not ending in \n.
/// </summary>
internal sealed class PrometheusExposition
{
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);

    private PrometheusExposition()
    {
    }

    public IReadOnlyDictionary<string, Family> Families => _families;

    public IEnumerable<Sample> Samples => _families.Values.SelectMany(f => f.Samples);

    public static PrometheusExposition Parse(string text)
    {
        var exposition = new PrometheusExposition();
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The last line must end with a line feed.");
        }

        var lines = text.Split('\n');
        Family? current = null;
        var closed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1}: '{line}'";
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (line.TrimStart().StartsWith('#'))
            {
                var comment = line.TrimStart()[1..].TrimStart(' ', '\t');
                var isHelp = comment.StartsWith("HELP ", StringComparison.Ordinal);
                var isType = comment.StartsWith("TYPE ", StringComparison.Ordinal);
                if (!isHelp && !isType)
                {
                    continue;
                }

                var rest = comment[5..].TrimStart(' ', '\t');
                var nameEnd = IndexOfWhitespace(rest);
                var name = nameEnd < 0 ? rest : rest[..nameEnd];
                RequireMetricName(name, where);
                var tail = nameEnd < 0 ? string.Empty : rest[(nameEnd + 1)..];
                if (closed.Contains(name) || (current is not null && current.Name != name && exposition._families.ContainsKey(name)))
                {
                    throw new FormatException($"{where}: metadata for {name} after its family ended.");
                }

                if (current is not null && current.Name != name)
                {
                    closed.Add(current.Name);
                }

                if (!exposition._families.TryGetValue(name, out var family))
                {
                    family = new Family(name);
                    exposition._families.Add(name, family);
                }

                current = family;
                if (family.Samples.Count > 0)
                {
                    throw new FormatException($"{where}: HELP/TYPE of {name} after its samples.");
                }

                if (isHelp)
                {
                    if (family.Help is not null)
                    {
                        throw new FormatException($"{where}: a second HELP for {name}.");
                    }

                    family.Help = UnescapeHelp(tail, where);
                }
                else
                {
                    if (family.Type is not null)
                    {
                        throw new FormatException($"{where}: a second TYPE for {name}.");
                    }

                    var type = tail.Trim();
                    if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                    {
                        throw new FormatException($"{where}: unknown type '{type}'.");
                    }

                    family.Type = type;
                }

                continue;
            }

            var sample = ParseSample(line, where);
            var owner = FamilyOf(exposition, sample.Name);
            if (owner is null || owner.Help is null || owner.Type is null)
            {
                throw new FormatException($"{where}: sample {sample.Name} without HELP and TYPE before it.");
            }

            if (!ReferenceEquals(owner, current))
            {
                throw new FormatException($"{where}: sample of {owner.Name} outside its family's block.");
            }

            owner.Samples.Add(sample);
        }

        foreach (var family in exposition._families.Values)
        {
            family.Validate();
        }

        return exposition;
    }

    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        return matches.Count == 1
            ? matches[0].Value
            : throw new InvalidOperationException($"{matches.Count} samples match {name} {string.Join(",", labels)}.");
    }

    public double ValueOrZero(string name, params (string Key, string Value)[] labels)
    {
        var matches = Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        return matches.Count switch
        {
            0 => 0,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Count} samples match {name}."),
        };
    }

    private static Family? FamilyOf(PrometheusExposition exposition, string sampleName)
    {
        if (exposition._families.TryGetValue(sampleName, out var family) && family.Type != "histogram")
        {
            return family;
        }

        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal)
                && exposition._families.TryGetValue(sampleName[..^suffix.Length], out var histogram)
                && histogram.Type is "histogram" or "summary")
            {
                return histogram;
            }
        }

        return family;
    }

    private static Sample ParseSample(string line, string where)
    {
        var text = line.Trim(' ', '\t');
        var i = 0;
        while (i < text.Length && IsNameChar(text[i], i == 0))
        {
            i++;
        }

        var name = text[..i];
        RequireMetricName(name, where);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < text.Length && text[i] == '{')
        {
            i++;
            while (true)
            {
                SkipBlanks(text, ref i);
                if (i < text.Length && text[i] == '}')
                {
                    i++;
                    break;
                }

                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                var labelName = text[start..i];
                if (labelName.Length == 0 || char.IsAsciiDigit(labelName[0]))
                {
                    throw new FormatException($"{where}: bad label name at {start}.");
                }

                SkipBlanks(text, ref i);
                Expect(text, ref i, '=', where);
                SkipBlanks(text, ref i);
                Expect(text, ref i, '"', where);
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException($"{where}: unterminated label value.");
                    }

                    var c = text[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i >= text.Length)
                        {
                            throw new FormatException($"{where}: dangling backslash.");
                        }

                        var escaped = text[i++];
                        value.Append(escaped switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"{where}: invalid escape \\{escaped} in a label value."),
                        });
                    }
                    else
                    {
                        value.Append(c);
                    }
                }

                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw new FormatException($"{where}: label {labelName} twice.");
                }

                SkipBlanks(text, ref i);
                if (i < text.Length && text[i] == ',')
                {
                    i++;
                    continue;
                }

                Expect(text, ref i, '}', where);
                break;
            }
        }

        if (i >= text.Length || (text[i] != ' ' && text[i] != '\t'))
        {
            throw new FormatException($"{where}: expected whitespace before the value.");
        }

        var fields = text[i..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length is < 1 or > 2)
        {
            throw new FormatException($"{where}: expected a value and an optional timestamp.");
        }

        if (fields.Length == 2 && !long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            throw new FormatException($"{where}: bad timestamp.");
        }

        return new Sample(name, labels, ParseValue(fields[0], where));
    }

    /// <summary>Go's ParseFloat as Prometheus applies it: decimal or exponent notation, or ±Inf / NaN.</summary>
    public static double ParseValue(string text, string where = "value") => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when text.All(c => char.IsAsciiDigit(c) || c is '+' or '-' or '.' or 'e' or 'E')
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new FormatException($"{where}: '{text}' is not a number."),
    };

    private static string UnescapeHelp(string text, string where)
    {
        var help = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                help.Append(text[i]);
                continue;
            }

            if (++i >= text.Length)
            {
                throw new FormatException($"{where}: dangling backslash in HELP.");
            }

            help.Append(text[i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                _ => throw new FormatException($"{where}: invalid escape \\{text[i]} in HELP."),
            });
        }

        return help.ToString();
    }

    private static void RequireMetricName(string name, string where)
    {
        if (name.Length == 0 || !name.Select((c, i) => IsNameChar(c, i == 0)).All(ok => ok))
        {
            throw new FormatException($"{where}: '{name}' is not a metric name.");
        }
    }

    private static bool IsNameChar(char c, bool first) => char.IsAsciiLetter(c) || c is '_' or ':' || (!first && char.IsAsciiDigit(c));

    private static int IndexOfWhitespace(string text) => text.IndexOfAny([' ', '\t']);

    private static void SkipBlanks(string text, ref int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }
    }

    private static void Expect(string text, ref int i, char expected, string where)
    {
        if (i >= text.Length || text[i] != expected)
        {
            throw new FormatException($"{where}: expected '{expected}' at {i}.");
        }

        i++;
    }

    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value)
    {
        public string LabelsWithout(string key) =>
            string.Join(",", Labels.Where(l => l.Key != key).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
    }

    internal sealed class Family(string name)
    {
        public string Name { get; } = name;

        public string? Help { get; set; }

        public string? Type { get; set; }

        public List<Sample> Samples { get; } = [];

        public void Validate()
        {
            if (Help is null || Type is null)
            {
                throw new FormatException($"{Name}: HELP and TYPE are both required.");
            }

            if (Type == "counter" && !Name.EndsWith("_total", StringComparison.Ordinal))
            {
                throw new FormatException($"{Name}: a counter's name must end in _total.");
            }

            if (Type != "histogram")
            {
                var duplicate = Samples.GroupBy(s => s.LabelsWithout(string.Empty)).FirstOrDefault(g => g.Count() > 1);
                if (duplicate is not null)
                {
                    throw new FormatException($"{Name}: series {{{duplicate.Key}}} appears twice.");
                }

                return;
            }

            foreach (var series in Samples.GroupBy(s => s.LabelsWithout("le")))
            {
                var buckets = series.Where(s => s.Name == Name + "_bucket").ToList();
                var sums = series.Where(s => s.Name == Name + "_sum").ToList();
                var counts = series.Where(s => s.Name == Name + "_count").ToList();
                if (buckets.Count == 0 || sums.Count != 1 || counts.Count != 1)
                {
                    throw new FormatException($"{Name}{{{series.Key}}}: a histogram needs buckets, one _sum and one _count.");
                }

                var bounds = buckets.Select(b => b.Labels.TryGetValue("le", out var le) ? ParseValue(le) : throw new FormatException($"{Name}: bucket without le.")).ToList();
                for (var i = 1; i < buckets.Count; i++)
                {
                    if (!(bounds[i] > bounds[i - 1]))
                    {
                        throw new FormatException($"{Name}{{{series.Key}}}: le values not increasing ({bounds[i - 1]} then {bounds[i]}).");
                    }

                    if (buckets[i].Value < buckets[i - 1].Value)
                    {
                        throw new FormatException($"{Name}{{{series.Key}}}: buckets not cumulative at le={bounds[i]}.");
                    }
                }

                if (buckets[^1].Labels["le"] != "+Inf")
                {
                    throw new FormatException($"{Name}{{{series.Key}}}: the last bucket must be le=\"+Inf\".");
                }

                if (buckets[^1].Value != counts[0].Value)
                {
                    throw new FormatException($"{Name}{{{series.Key}}}: +Inf bucket {buckets[^1].Value} differs from _count {counts[0].Value}.");
                }
            }
        }
    }
}
