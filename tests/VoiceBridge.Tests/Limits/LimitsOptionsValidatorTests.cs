using VoiceBridge.Limits;

namespace VoiceBridge.Tests.Limits;

public sealed class LimitsOptionsValidatorTests
{
    [Fact]
    public void LimitsValidator_BadOriginOrProxy_NamesTheKey()
    {
        var result = new LimitsOptionsValidator().Validate(null, new LimitsOptions
        {
            AllowedOrigins = ["https://ok.example.com", "not an origin"],
            TrustedProxies = ["10.0.0.0/8", "proxy.internal"],
        });

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Limits:AllowedOrigins", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Limits:TrustedProxies", StringComparison.Ordinal));
        Assert.True(new LimitsOptionsValidator().Validate(null, new LimitsOptions()).Succeeded);
    }
}
