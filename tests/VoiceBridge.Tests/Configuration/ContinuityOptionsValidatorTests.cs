using VoiceBridge.Configuration;

namespace VoiceBridge.Tests.Configuration;

public sealed class ContinuityOptionsValidatorTests
{
    [Fact]
    public void Defaults_AreTheContractsAndValid()
    {
        var options = new ContinuityOptions();

        Assert.Equal((TimeSpan.FromSeconds(15), 4194304, true, TimeSpan.FromMinutes(55), 50), (options.ResumeWindow, options.ResumeBufferBytes, options.ReconnectUpstream, options.RolloverAfter, options.ReplayItems));
        Assert.True(new ContinuityOptionsValidator().Validate(null, options).Succeeded);
        Assert.True(new ContinuityOptionsValidator().Validate(null, new ContinuityOptions { ResumeWindow = TimeSpan.Zero, ReplayItems = 0 }).Succeeded);
    }

    [Theory]
    [InlineData("ResumeWindow")]
    [InlineData("ResumeBufferBytes")]
    [InlineData("RolloverAfter")]
    [InlineData("ReplayItems")]
    public void OutOfRange_NamesTheKey(string key)
    {
        var options = key switch
        {
            "ResumeWindow" => new ContinuityOptions { ResumeWindow = TimeSpan.FromSeconds(-1) },
            "ResumeBufferBytes" => new ContinuityOptions { ResumeBufferBytes = 0 },
            "RolloverAfter" => new ContinuityOptions { RolloverAfter = TimeSpan.Zero },
            _ => new ContinuityOptions { ReplayItems = 1001 },
        };

        var result = new ContinuityOptionsValidator().Validate(null, options);

        Assert.Contains(result.Failures!, f => f.StartsWith("VoiceBridge:Continuity:" + key, StringComparison.Ordinal));
    }
}
