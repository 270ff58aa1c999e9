using System.Globalization;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The Prometheus text exposition format, version 0.0.4: per family one <c># HELP</c> and one <c># TYPE</c>
/// line, then all of its series together; histograms as cumulative <c>_bucket{le="…"}</c> series ending with
/// <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c>; label values escaped (<c>\\</c>, <c>\"</c>, <c>\n</c>),
/// help text escaped (<c>\\</c>, <c>\n</c>); numbers as Go's <c>strconv.FormatFloat(v, 'g', -1, 64)</c>
/// writes them (<c>+Inf</c>, <c>-Inf</c>, <c>NaN</c>, <c>1e-05</c>, <c>1.5e+06</c>), which is what
/// Prometheus' own client writes; every line ends with <c>\n</c>.
/// </summary>
internal static class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <exception cref="ArgumentException">A family or label name is not valid, or two families share a name.</exception>
    public static void Write(TextWriter writer, IEnumerable<MetricFamily> families)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(families);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var family in families)
        {
            if (!PrometheusNaming.IsValidMetricName(family.Name))
            {
                throw new ArgumentException($"'{family.Name}' is not a valid metric name.", nameof(families));
            }

            if (!seen.Add(family.Name))
            {
                throw new ArgumentException($"Metric family '{family.Name}' appears twice; a family's series must be contiguous.", nameof(families));
            }

            WriteFamily(writer, family);
        }
    }

    public static string Write(IEnumerable<MetricFamily> families)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        Write(writer, families);
        return writer.ToString();
    }

    /// <summary>A number as Go's <c>strconv.FormatFloat(value, 'g', -1, 64)</c>: shortest round-trip digits.</summary>
    public static string FormatDouble(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return "+Inf";
        }

        if (double.IsNegativeInfinity(value))
        {
            return "-Inf";
        }

        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }

        // "R" gives the shortest digits that round-trip, as "1.5E-05" or "0.0001" or "123456789".
        var roundTrip = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = roundTrip.IndexOf('E', StringComparison.Ordinal);
        var mantissa = exponentAt < 0 ? roundTrip : roundTrip[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(roundTrip.AsSpan(exponentAt + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.', StringComparison.Ordinal);
        var allDigits = point < 0 ? mantissa : string.Concat(mantissa.AsSpan(0, point), mantissa.AsSpan(point + 1));
        var decimalPoint = (point < 0 ? mantissa.Length : point) + exponent;

        // Normalise to 0.DIGITS × 10^decimalPoint with no leading or trailing zeros.
        var leadingZeros = allDigits.Length - allDigits.TrimStart('0').Length;
        var digits = allDigits.Trim('0');
        decimalPoint -= leadingZeros;

        var sign = value < 0 ? "-" : string.Empty;
        // Go's 'g' with the shortest precision switches to an exponent below 1e-4 and from 1e6 on.
        var x = decimalPoint - 1;
        if (x < -4 || x >= 6)
        {
            var fraction = digits.Length > 1 ? "." + digits[1..] : string.Empty;
            var exponentSign = x < 0 ? "-" : "+";
            var magnitude = Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
            return $"{sign}{digits[0]}{fraction}e{exponentSign}{magnitude}";
        }

        if (decimalPoint <= 0)
        {
            return $"{sign}0.{new string('0', -decimalPoint)}{digits}";
        }

        if (decimalPoint >= digits.Length)
        {
            return $"{sign}{digits}{new string('0', decimalPoint - digits.Length)}";
        }

        return $"{sign}{digits[..decimalPoint]}.{digits[decimalPoint..]}";
    }

    public static string EscapeLabelValue(string value) =>
        value.Contains('\\', StringComparison.Ordinal) || value.Contains('"', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal)
            ? value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)
            : value;

    public static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static void WriteFamily(TextWriter writer, MetricFamily family)
    {
        writer.Write("# HELP ");
        writer.Write(family.Name);
        writer.Write(' ');
        writer.Write(EscapeHelp(family.Help));
        writer.Write('\n');
        writer.Write("# TYPE ");
        writer.Write(family.Name);
        writer.Write(' ');
        writer.Write(family.Type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            MetricType.Histogram => "histogram",
            _ => "untyped",
        });
        writer.Write('\n');

        foreach (var sample in family.Samples)
        {
            if (family.Type == MetricType.Histogram && sample.Histogram is { } histogram)
            {
                var bounds = histogram.UpperBounds;
                for (var i = 0; i <= bounds.Count; i++)
                {
                    var le = i < bounds.Count ? FormatDouble(bounds[i]) : "+Inf";
                    WriteSample(writer, family.Name, "_bucket", sample.Labels, le, FormatDouble(histogram.CumulativeCounts[i]));
                }

                WriteSample(writer, family.Name, "_sum", sample.Labels, null, FormatDouble(histogram.Sum));
                WriteSample(writer, family.Name, "_count", sample.Labels, null, FormatDouble(histogram.Count));
            }
            else
            {
                WriteSample(writer, family.Name, string.Empty, sample.Labels, null, FormatDouble(sample.Value));
            }
        }
    }

    private static void WriteSample(TextWriter writer, string name, string suffix, IReadOnlyList<KeyValuePair<string, string>> labels, string? le, string value)
    {
        writer.Write(name);
        writer.Write(suffix);
        var any = false;
        foreach (var (key, labelValue) in labels)
        {
            // "le" belongs to the bucket series; a tag of that name would make them ambiguous.
            if (le is not null && key == "le")
            {
                continue;
            }

            if (!PrometheusNaming.IsValidLabelName(key))
            {
                throw new ArgumentException($"'{key}' is not a valid label name (metric {name}).", nameof(labels));
            }

            writer.Write(any ? ',' : '{');
            any = true;
            writer.Write(key);
            writer.Write("=\"");
            writer.Write(EscapeLabelValue(labelValue));
            writer.Write('"');
        }

        if (le is not null)
        {
            writer.Write(any ? ',' : '{');
            any = true;
            writer.Write("le=\"");
            writer.Write(le);
            writer.Write('"');
        }

        if (any)
        {
            writer.Write('}');
        }

        writer.Write(' ');
        writer.Write(value);
        writer.Write('\n');
    }
}
