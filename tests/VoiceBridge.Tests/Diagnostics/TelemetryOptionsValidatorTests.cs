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
}
