using VoiceBridge.Telephony;

namespace VoiceBridge.Tests.Telephony;

public sealed class TwilioSignatureTests
{
    private const string Url = "https://mycompany.com/myapp.php?foo=1&bar=2";

    private static readonly Dictionary<string, string> Form = new()
    {
        ["To"] = "+18005551212",
        ["From"] = "+14158675309",
        ["Digits"] = "1234",
        ["Caller"] = "+14158675309",
        ["CallSid"] = "CA1234567890ABCDE",
    };

    [Fact]
    public void Compute_TwilioDocumentedExample_MatchesTwilioSignature()
    {
        // The example of Twilio's own request-validation libraries (auth token "12345").
        Assert.Equal("RSOYDt4T1cUTdK1PDd93/VVr8B8=", TwilioSignature.Compute("12345", Url, Form));
    }

    [Fact]
    public void Verify_RightSignature_True() => Assert.True(TwilioSignature.Verify("12345", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Url, Form));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("RSOYDt4T1cUTdK1PDd93/VVr8B8")]
    [InlineData("rsoydt4t1cutdk1pdd93/vvr8b8=")]
    public void Verify_WrongSignature_False(string? signature) => Assert.False(TwilioSignature.Verify("12345", signature, Url, Form));

    [Fact]
    public void Verify_ChangedParameterOrUrl_False()
    {
        var tampered = new Dictionary<string, string>(Form) { ["Digits"] = "1235" };
        Assert.False(TwilioSignature.Verify("12345", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Url, tampered));
        Assert.False(TwilioSignature.Verify("12345", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Url + "&x=1", Form));
        Assert.False(TwilioSignature.Verify("54321", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", Url, Form));
    }
}
