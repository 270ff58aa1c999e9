using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public sealed class SecurityOptionsValidatorTests
{
    private const string ShortKeySecret = "c2hvcnQta2V5LXNlY3JldC12YWx1ZQ=="; // base64 of 22 bytes
    private static readonly string Key32 = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray());

    private static IEnumerable<string> Failures(AuthOptions options) =>
        new AuthOptionsValidator().Validate(null, options).Failures ?? [];

    [Fact]
    public void Defaults_AreValid()
    {
        Assert.True(new AuthOptionsValidator().Validate(null, new AuthOptions()).Succeeded);
        Assert.True(new AdminOptionsValidator().Validate(null, new AdminOptions()).Succeeded);
    }

    [Fact]
    public void ModeToken_WithoutSigningKey_FailsNamingTheKey()
    {
        var failure = Assert.Single(Failures(new AuthOptions { Mode = AuthMode.Token }));

        Assert.StartsWith("VoiceBridge:Auth:SigningKey", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ModeToken_With32ByteKey_IsValid()
    {
        Assert.Empty(Failures(new AuthOptions { Mode = AuthMode.Token, SigningKey = Key32 }));
    }

    [Theory]
    [InlineData("Token", ShortKeySecret)]
    [InlineData("None", ShortKeySecret)]
    [InlineData("None", "not base64 at all!!")]
    [InlineData("Token", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 31.5 bytes: not a whole base64 quantum
    public void SigningKey_MalformedOrShort_FailsInAnyModeWithoutEchoingIt(string mode, string key)
    {
        var failure = Assert.Single(Failures(new AuthOptions { Mode = Enum.Parse<AuthMode>(mode), SigningKey = key }));

        Assert.Equal("VoiceBridge:Auth:SigningKey must be base64 of at least 32 bytes.", failure);
        Assert.DoesNotContain(key, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void SigningKey_31Bytes_Fails()
    {
        Assert.NotEmpty(Failures(new AuthOptions { SigningKey = Convert.ToBase64String(new byte[31]) }));
        Assert.Empty(Failures(new AuthOptions { SigningKey = Convert.ToBase64String(new byte[32]) }));
    }

    [Theory]
    [InlineData("00:00:00", false)]
    [InlineData("-00:01:00", false)]
    [InlineData("00:00:00.500", false)]
    [InlineData("00:00:01", true)]
    [InlineData("1.00:00:00", true)]
    [InlineData("1.00:00:01", false)]
    public void MaxTokenLifetime_MustBeBetweenOneSecondAnd24Hours(string value, bool valid)
    {
        var failures = Failures(new AuthOptions { MaxTokenLifetime = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) });

        if (valid)
        {
            Assert.Empty(failures);
        }
        else
        {
            Assert.StartsWith("VoiceBridge:Auth:MaxTokenLifetime", Assert.Single(failures), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("-00:00:01", false)]
    [InlineData("00:00:00", true)]
    [InlineData("00:05:00", true)]
    [InlineData("00:05:00.001", false)]
    public void ClockSkew_MustBeBetweenZeroAndFiveMinutes(string value, bool valid)
    {
        var failures = Failures(new AuthOptions { ClockSkew = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) });

        if (valid)
        {
            Assert.Empty(failures);
        }
        else
        {
            Assert.StartsWith("VoiceBridge:Auth:ClockSkew", Assert.Single(failures), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BlankIssuerOrAudience_Fails()
    {
        Assert.Equal(2, Failures(new AuthOptions { Issuer = " ", Audience = "\t" }).Count());
        Assert.Empty(Failures(new AuthOptions { Issuer = "", Audience = "" }));
    }

    [Fact]
    public void UndefinedMode_Fails()
    {
        Assert.Contains(Failures(new AuthOptions { Mode = (AuthMode)7 }), f => f.StartsWith("VoiceBridge:Auth:Mode", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("short-admin-key", false)]
    [InlineData("a-long-enough-admin-key", true)]
    [InlineData("a long enough admin key", false)]
    [InlineData("a-long-enough-admin-key\n", false)]
    public void AdminApiKey_WhenSet_MustBeLongAndPrintable(string key, bool valid)
    {
        var result = new AdminOptionsValidator().Validate(null, new AdminOptions { ApiKey = key });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.All(result.Failures!, f =>
            {
                Assert.StartsWith("VoiceBridge:Admin:ApiKey", f, StringComparison.Ordinal);
                Assert.DoesNotContain(key, f, StringComparison.Ordinal);
            });
        }
    }
}
