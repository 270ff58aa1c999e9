using VoiceBridge.Diagnostics;

namespace VoiceBridge.Tests.Diagnostics;

public sealed class PrometheusTextWriterTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.005, "0.005")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(0.000025, "2.5e-05")]
    [InlineData(10.0, "10")]
    [InlineData(123456.0, "123456")]
    [InlineData(1e6, "1e+06")]
    [InlineData(1234567.0, "1.234567e+06")]
    [InlineData(1e21, "1e+21")]
    [InlineData(1.5e300, "1.5e+300")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    public void FormatDouble_WritesWhatGoStrconvWrites(double value, string expected)
    {
        Assert.Equal(expected, PrometheusTextWriter.FormatDouble(value));
    }

    [Fact]
    public void FormatDouble_RoundTrips()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var value = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20));
            Assert.Equal(value, PrometheusExposition.ParseValue(PrometheusTextWriter.FormatDouble(value)));
        }
    }

    [Fact]
    public void Write_NastyLabelValuesAndHelp_RoundTripThroughTheParser()
    {
        string[] nasty = ["plain", "back\\slash", "quo\"te", "new\nline", "\\\"\n\\n", "trailing\\", "ünïcødé ✓ 语音", "{a=\"b\",c}", "", " spaced "];
        var family = new MetricFamily(
            "nasty_total",
            "Help with a back\\slash,\na newline and \"quotes\".",
            MetricType.Counter,
            nasty.Select((v, i) => new MetricSample([new("value", v), new("index", i.ToString(System.Globalization.CultureInfo.InvariantCulture))], i)).ToList());

        var text = PrometheusTextWriter.Write([family]);
        var parsed = PrometheusExposition.Parse(text);

        Assert.Equal(family.Help, parsed.Families["nasty_total"].Help);
        for (var i = 0; i < nasty.Length; i++)
        {
            var sample = Assert.Single(parsed.Samples, s => s.Labels["index"] == i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(nasty[i], sample.Labels["value"]);
            Assert.Equal(i, sample.Value);
        }

        Assert.DoesNotContain("\r", text, StringComparison.Ordinal);
        Assert.Equal(2 + nasty.Length, text.Count(c => c == '\n'));
    }

    [Fact]
    public void Write_Histogram_BucketsCumulativeEndingWithInfThenSumAndCount()
    {
        var histogram = new HistogramValue([0.1, 1, 10], [1, 3, 3, 4], 12.5);
        var family = new MetricFamily("latency_seconds", "Latency.", MetricType.Histogram, [new MetricSample([new("direction", "inbound")], histogram.Count, histogram)]);

        var text = PrometheusTextWriter.Write([family]);

        Assert.Equal(
            """
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{direction="inbound",le="0.1"} 1
            latency_seconds_bucket{direction="inbound",le="1"} 3
            latency_seconds_bucket{direction="inbound",le="10"} 3
            latency_seconds_bucket{direction="inbound",le="+Inf"} 4
            latency_seconds_sum{direction="inbound"} 12.5
            latency_seconds_count{direction="inbound"} 4

            """,
            text);
        PrometheusExposition.Parse(text);
    }

    [Fact]
    public void Write_UnlabelledSample_HasNoBraces()
    {
        var text = PrometheusTextWriter.Write([new MetricFamily("up", "Up.", MetricType.Gauge, [new MetricSample(MetricSample.NoLabels, 1)])]);

        Assert.EndsWith("\nup 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_SameFamilyTwice_Throws()
    {
        var family = new MetricFamily("a_total", "A.", MetricType.Counter, []);

        Assert.Throws<ArgumentException>(() => PrometheusTextWriter.Write([family, family]));
    }

    [Theory]
    [InlineData("9lives")]
    [InlineData("has-dash")]
    [InlineData("has.dot")]
    [InlineData("")]
    public void Write_InvalidMetricName_Throws(string name)
    {
        Assert.Throws<ArgumentException>(() => PrometheusTextWriter.Write([new MetricFamily(name, "x", MetricType.Gauge, [])]));
    }

    [Theory]
    [InlineData("__reserved")]
    [InlineData("has.dot")]
    [InlineData("1st")]
    public void Write_InvalidLabelName_Throws(string label)
    {
        var family = new MetricFamily("g", "x", MetricType.Gauge, [new MetricSample([new(label, "v")], 1)]);

        Assert.Throws<ArgumentException>(() => PrometheusTextWriter.Write([family]));
    }

    [Fact]
    public void ContentType_IsTextFormatZeroZeroFourInUtf8()
    {
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", PrometheusTextWriter.ContentType);
    }
}
