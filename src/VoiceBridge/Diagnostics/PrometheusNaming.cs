using System.Diagnostics.Metrics;
using System.Text;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// Instrument name and unit to Prometheus name, following the OpenTelemetry-to-Prometheus convention: characters
/// outside <c>[a-zA-Z0-9_:]</c> become <c>_</c>, the unit adds its base-unit suffix (<c>s</c> → <c>_seconds</c>,
/// <c>By</c> → <c>_bytes</c>) unless the name already ends with it, annotations like <c>{frame}</c> add nothing,
/// and monotonic counters end in <c>_total</c>.
/// </summary>
internal static class PrometheusNaming
{
    public static string MetricName(Instrument instrument, bool monotonic)
    {
        ArgumentNullException.ThrowIfNull(instrument);
        return MetricName(instrument.Name, instrument.Unit, monotonic);
    }

    public static string MetricName(string instrumentName, string? unit, bool monotonic)
    {
        ArgumentException.ThrowIfNullOrEmpty(instrumentName);
        var name = new StringBuilder(instrumentName.Length + 16);
        for (var i = 0; i < instrumentName.Length; i++)
        {
            var c = instrumentName[i];
            name.Append(IsNameChar(c, i == 0) ? c : '_');
        }

        var suffix = UnitSuffix(unit);
        if (suffix is not null && !EndsWith(name, "_" + suffix))
        {
            name.Append('_').Append(suffix);
        }

        if (monotonic && !EndsWith(name, "_total"))
        {
            name.Append("_total");
        }

        return name.ToString();
    }

    public static bool IsValidMetricName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (!IsNameChar(name[i], i == 0))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Label names: <c>[a-zA-Z_][a-zA-Z0-9_]*</c>, and names starting with <c>__</c> are reserved.</summary>
    public static bool IsValidLabelName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.StartsWith("__", StringComparison.Ordinal))
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            var ok = char.IsAsciiLetter(c) || c == '_' || (i > 0 && char.IsAsciiDigit(c));
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Makes a tag key a valid label name (tags are ours, so this only guards against a future typo).</summary>
    public static string LabelName(string key)
    {
        if (IsValidLabelName(key))
        {
            return key;
        }

        var name = new StringBuilder(key.Length + 1);
        foreach (var c in key)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) ? c : '_');
        }

        if (name.Length == 0 || char.IsAsciiDigit(name[0]) || (name.Length > 1 && name[0] == '_' && name[1] == '_'))
        {
            name.Insert(0, "key");
        }

        return name.ToString();
    }

    private static bool IsNameChar(char c, bool first) =>
        char.IsAsciiLetter(c) || c == '_' || c == ':' || (!first && char.IsAsciiDigit(c));

    private static string? UnitSuffix(string? unit) => unit switch
    {
        "s" => "seconds",
        "ms" => "milliseconds",
        "By" => "bytes",
        _ => null,
    };

    private static bool EndsWith(StringBuilder name, string suffix)
    {
        if (name.Length < suffix.Length)
        {
            return false;
        }

        for (var i = 0; i < suffix.Length; i++)
        {
            if (name[name.Length - suffix.Length + i] != suffix[i])
            {
                return false;
            }
        }

        return true;
    }
}
