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

    public static TheoryData<string, string> Urls => new()
    {
        { "https://voice.example.com/twilio/voice", "https://voice.example.com:443/twilio/voice" },
        { "https://voice.example.com:443/twilio/voice?tenant=a%20b", "https://voice.example.com/twilio/voice?tenant=a%20b" },
        { "http://voice.example.com/twilio/voice", "http://voice.example.com:80/twilio/voice" },
        { "wss://voice.example.com/twilio/media", "wss://voice.example.com:443/twilio/media" },
        { "https://[2001:db8::1]/twilio/voice", "https://[2001:db8::1]:443/twilio/voice" },
    };

    [Theory]
    [MemberData(nameof(Urls))]
    public void Verify_TwilioSignedTheUrlWithOrWithoutTheDefaultPort_True(string configured, string signedByTwilio)
    {
        var signature = TwilioSignature.Compute("12345", signedByTwilio, Form);

        Assert.True(TwilioSignature.Verify("12345", signature, configured, Form));
    }

    [Theory]
    [InlineData("https://voice.example.com/twilio/voice", "https://voice.example.com:8443/twilio/voice")]
    [InlineData("https://voice.example.com:8443/twilio/voice", "https://voice.example.com/twilio/voice")]
    [InlineData("https://voice.example.com/twilio/voice", "http://voice.example.com/twilio/voice")]
    [InlineData("https://voice.example.com/twilio/voice", "https://voice.example.com:80/twilio/voice")]
    public void Verify_AnotherPortOrScheme_False(string configured, string signedByTwilio)
    {
        var signature = TwilioSignature.Compute("12345", signedByTwilio, Form);

        Assert.False(TwilioSignature.Verify("12345", signature, configured, Form));
    }

    [Fact]
    public void Compute_RepeatedName_EachDistinctValueInOrderAsTwilioSigns()
    {
        KeyValuePair<string, string>[] form = [new("b", "2"), new("a", "y"), new("a", "x"), new("a", "y")];

        // Twilio's libraries: names sorted, a repeated name's distinct values sorted, each as name + value.
        Assert.Equal(TwilioSignature.Compute("12345", Url + "axayb2"), TwilioSignature.Compute("12345", Url, form));
    }

    public static TheoryData<string, string[]> OracleCases => new()
    {
        { "https://mycompany.com/myapp.php?foo=1&bar=2", ["CallSid", "CA1234567890ABCDE", "Caller", "+14158675309", "Digits", "1234"] },
        { "https://voice.example.com/twilio/voice?tenant=a%20b", ["CallSid", "CA01", "From", "+1 (415) 555-0100", "SpeechResult", "Ça va? 日本語 ✓"] },
        { "https://voice.example.com:443/twilio/voice", ["a", "", "A", "upper", "_", "underscore", "Z", "z"] },
        { "wss://voice.example.com/twilio/media", [] },
    };

    /// <summary>Twilio's own validator (the <c>Twilio</c> package, in the tests only) agrees with ours on the same requests.</summary>
    [Theory]
    [MemberData(nameof(OracleCases))]
    public void Verify_AgreesWithTwiliosRequestValidator(string url, string[] pairs)
    {
        var form = Enumerable.Range(0, pairs.Length / 2).ToDictionary(i => pairs[2 * i], i => pairs[(2 * i) + 1], StringComparer.Ordinal);
        var twilio = new Twilio.Security.RequestValidator("auth-token-0123");
        var ours = TwilioSignature.Compute("auth-token-0123", url, form);

        Assert.True(twilio.Validate(url, form, ours));
        Assert.True(TwilioSignature.Verify("auth-token-0123", ours, url, form));

        // Port variants are not compared: Twilio's 8.2.0 validator accepts ":443" added to an https URL written without
        // it, but neither the reverse nor either direction for wss; ours accepts both directions for every scheme.
        var wrong = TwilioSignature.Compute("another-token", url, form);
        Assert.False(twilio.Validate(url, form, wrong));
        Assert.False(TwilioSignature.Verify("auth-token-0123", wrong, url, form));
    }
}
