using VoiceBridge.Telephony;

namespace VoiceBridge.Tests.Telephony;

public sealed class TwilioOptionsValidatorTests
{
    private static readonly TwilioOptionsValidator Validator = new();

    [Fact]
    public void Validate_Disabled_SucceedsWithNothingSet() => Assert.True(Validator.Validate(null, new TwilioOptions()).Succeeded);

    [Fact]
    public void Validate_EnabledAndComplete_Succeeds() =>
        Assert.True(Validator.Validate(null, new TwilioOptions { Enabled = true, AuthToken = "secret-token", PublicUrl = "https://voice.example.com" }).Succeeded);

    [Theory]
    [InlineData(null, "https://voice.example.com", "VoiceBridge:Telephony:Twilio:AuthToken is required")]
    [InlineData("secret-token", null, "VoiceBridge:Telephony:Twilio:PublicUrl must be an absolute http(s) URL")]
    [InlineData("secret-token", "voice.example.com", "VoiceBridge:Telephony:Twilio:PublicUrl must be an absolute http(s) URL")]
    [InlineData("secret-token", "wss://voice.example.com", "VoiceBridge:Telephony:Twilio:PublicUrl must be an absolute http(s) URL")]
    [InlineData("secret-token", "https://voice.example.com/?a=1", "VoiceBridge:Telephony:Twilio:PublicUrl must be an absolute http(s) URL")]
    public void Validate_EnabledAndIncomplete_OneLineNamingTheKey(string? authToken, string? publicUrl, string expected)
    {
        var result = Validator.Validate(null, new TwilioOptions { Enabled = true, AuthToken = authToken, PublicUrl = publicUrl });

        var failure = Assert.Single(result.Failures!);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure);
        Assert.DoesNotContain("secret-token", failure, StringComparison.Ordinal);
    }
}
