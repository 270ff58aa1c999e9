using System.Globalization;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The tag set of one measurement, order-independent, as a dictionary key. Up to three string-valued tags
/// (every instrument of the bridge) are held inline, so building a key to look up a series allocates nothing;
/// more tags, or values that are not strings, take an allocating path.
/// </summary>
internal readonly struct SeriesKey : IEquatable<SeriesKey>
{
    public const int InlineTags = 3;

    private readonly string? _name0;
    private readonly string? _value0;
    private readonly string? _name1;
    private readonly string? _value1;
    private readonly string? _name2;
    private readonly string? _value2;
    private readonly KeyValuePair<string, string>[]? _more;
    private readonly int _count;

    private SeriesKey(int count, string? n0, string? v0, string? n1, string? v1, string? n2, string? v2)
    {
        _count = count;
        _name0 = n0;
        _value0 = v0;
        _name1 = n1;
        _value1 = v1;
        _name2 = n2;
        _value2 = v2;
        _more = null;
    }

    private SeriesKey(KeyValuePair<string, string>[] sorted)
    {
        this = default;
        _count = sorted.Length;
        _more = sorted;
    }

    public int Count => _count;

    public static SeriesKey From(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (tags.Length)
        {
            case 0:
                return default;
            case 1:
                return new SeriesKey(1, tags[0].Key, Text(tags[0].Value), null, null, null, null);
            case 2:
            {
                var (a, b) = (tags[0], tags[1]);
                if (string.CompareOrdinal(a.Key, b.Key) > 0)
                {
                    (a, b) = (b, a);
                }

                return new SeriesKey(2, a.Key, Text(a.Value), b.Key, Text(b.Value), null, null);
            }

            case InlineTags:
            {
                var (a, b, c) = (tags[0], tags[1], tags[2]);
                if (string.CompareOrdinal(a.Key, b.Key) > 0)
                {
                    (a, b) = (b, a);
                }

                if (string.CompareOrdinal(b.Key, c.Key) > 0)
                {
                    (b, c) = (c, b);
                }

                if (string.CompareOrdinal(a.Key, b.Key) > 0)
                {
                    (a, b) = (b, a);
                }

                return new SeriesKey(3, a.Key, Text(a.Value), b.Key, Text(b.Value), c.Key, Text(c.Value));
            }

            default:
            {
                var sorted = new KeyValuePair<string, string>[tags.Length];
                for (var i = 0; i < tags.Length; i++)
                {
                    sorted[i] = new(tags[i].Key, Text(tags[i].Value));
                }

                Array.Sort(sorted, static (x, y) => string.CompareOrdinal(x.Key, y.Key));
                return new SeriesKey(sorted);
            }
        }
    }

    /// <summary>The tags in key order as labels (keys made valid label names), for exposition; allocates.</summary>
    public KeyValuePair<string, string>[] ToLabels()
    {
        var tags = _more is not null ? (KeyValuePair<string, string>[])_more.Clone() : new KeyValuePair<string, string>[_count];
        if (_more is null)
        {
            if (_count > 0)
            {
                tags[0] = new(_name0!, _value0!);
            }

            if (_count > 1)
            {
                tags[1] = new(_name1!, _value1!);
            }

            if (_count > 2)
            {
                tags[2] = new(_name2!, _value2!);
            }
        }

        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = new(PrometheusNaming.LabelName(tags[i].Key), tags[i].Value);
        }

        return tags;
    }

    public bool Equals(SeriesKey other)
    {
        if (_count != other._count)
        {
            return false;
        }

        if (_more is not null || other._more is not null)
        {
            return _more is not null && other._more is not null && SameTags(_more, other._more);
        }

        return string.Equals(_name0, other._name0, StringComparison.Ordinal)
            && string.Equals(_value0, other._value0, StringComparison.Ordinal)
            && string.Equals(_name1, other._name1, StringComparison.Ordinal)
            && string.Equals(_value1, other._value1, StringComparison.Ordinal)
            && string.Equals(_name2, other._name2, StringComparison.Ordinal)
            && string.Equals(_value2, other._value2, StringComparison.Ordinal);
    }

    public override bool Equals(object? obj) => obj is SeriesKey other && Equals(other);

    public override int GetHashCode()
    {
        if (_more is not null)
        {
            var hash = default(HashCode);
            foreach (var (key, value) in _more)
            {
                hash.Add(key);
                hash.Add(value);
            }

            return hash.ToHashCode();
        }

        // Names are fixed per instrument: the values tell series apart.
        return HashCode.Combine(_count, _value0, _value1, _value2);
    }

    private static bool SameTags(KeyValuePair<string, string>[] a, KeyValuePair<string, string>[] b)
    {
        for (var i = 0; i < a.Length; i++)
        {
            if (!string.Equals(a[i].Key, b[i].Key, StringComparison.Ordinal) || !string.Equals(a[i].Value, b[i].Value, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string Text(object? value) => value switch
    {
        string s => s,
        null => string.Empty,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
