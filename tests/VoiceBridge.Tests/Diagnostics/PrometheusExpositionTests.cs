namespace VoiceBridge.Tests.Diagnostics;

/// <summary>The test's own parser must reject what the format forbids, or the tests that rely on it prove nothing.</summary>
public sealed class PrometheusExpositionTests
{
    [Theory]
    [InlineData("a_total 1\n", "without HELP")]
    [InlineData("# HELP a_total A.\n# TYPE a_total counter\n# HELP a_total again\na_total 1\n", "second HELP")]
    [InlineData("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n# HELP b B.\n# TYPE b gauge\nb 1\n# HELP a_total A.\n", "after its family ended")]
    [InlineData("# HELP a_total A.\n# TYPE a_total counter\n# HELP b B.\n# TYPE b gauge\nb 1\na_total 1\n", "outside its family")]
    [InlineData("# HELP a A.\n# TYPE a counter\na 1\n", "_total")]
    [InlineData("# HELP g G.\n# TYPE g gauge\ng{l=\"bad\\t\"} 1\n", "invalid escape")]
    [InlineData("# HELP g G.\n# TYPE g gauge\ng{l=\"open} 1\n", "unterminated")]
    [InlineData("# HELP g G.\n# TYPE g gauge\ng one\n", "not a number")]
    [InlineData("# HELP g G.\n# TYPE g gauge\ng 1", "line feed")]
    [InlineData("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "cumulative")]
    [InlineData("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n", "differs from _count")]
    [InlineData("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf")]
    public void Parse_Violation_Throws(string text, string reason)
    {
        var error = Assert.Throws<FormatException>(() => PrometheusExposition.Parse(text));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
