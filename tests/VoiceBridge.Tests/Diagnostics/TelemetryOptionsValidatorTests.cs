using Microsoft.Extensions.Options;
using VoiceBridge.Diagnostics;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Diagnostics;

public sealed class TelemetryOptionsValidatorTests
{
    private static ValidateOptionsResult Validate(TelemetryOptions options, string? adminKey = null) =>
        new TelemetryOptionsValidator(Options.Create(new AdminOptions { ApiKey = adminKey })).Validate(null, options);

    [Fact]
    public void Defaults_AreValidAndOpen()
    {
        var options = new TelemetryOptions();

        Assert.True(Validate(options).Succeeded);
        Assert.Equal(MetricsAccess.Open, options.Metrics);
    }

    [Fact]
    public void Protected_WithoutAdminKey_FailsNamingTheKey()
    {
        var result = Validate(new TelemetryOptions { Metrics = MetricsAccess.Protected });

        var failure = Assert.Single(result.Failures!);
        Assert.Contains("VoiceBridge:Telemetry:Metrics", failure, StringComparison.Ordinal);
        Assert.Contains("VoiceBridge:Admin:ApiKey", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Protected_WithAdminKey_IsValid()
    {
        Assert.True(Validate(new TelemetryOptions { Metrics = MetricsAccess.Protected }, "admin-key").Succeeded);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(TelemetryOptions.MaxForwardSampleEvery + 1)]
    public void ForwardSampleEvery_OutOfRange_FailsNamingTheKey(int every)
    {
        var result = Validate(new TelemetryOptions { ForwardSampleEvery = every });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Telemetry:ForwardSampleEvery", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://otel-collector:4317", true)]
    [InlineData("https://otel.example.com:4318/", true)]
    [InlineData("otel-collector:4317", false)]
    [InlineData("grpc://otel-collector:4317", false)]
    [InlineData("http://user:secret@otel-collector:4317", false)]
    public void OtlpEndpoint_MustBeAnHttpUrlWithoutCredentials(string endpoint, bool valid)
    {
        var result = Validate(new TelemetryOptions { OtlpEndpoint = endpoint });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            var failure = Assert.Single(result.Failures!);
            Assert.StartsWith("VoiceBridge:Telemetry:OtlpEndpoint", failure, StringComparison.Ordinal);
            Assert.DoesNotContain("secret", failure, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("http://c:4318", OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, "http://c:4318/v1/metrics")]
    [InlineData("http://c:4318/custom/path", OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf, "http://c:4318/custom/path")]
    [InlineData("http://c:4317", OpenTelemetry.Exporter.OtlpExportProtocol.Grpc, "http://c:4317/")]
    public void OtlpExporterEndpoint_AddsTheMetricsPathOnlyToABareHttpAddress(string endpoint, OpenTelemetry.Exporter.OtlpExportProtocol protocol, string expected)
    {
        Assert.Equal(new Uri(expected), OtlpMetricsExport.ExporterEndpoint(new Uri(endpoint), protocol));
    }
}
