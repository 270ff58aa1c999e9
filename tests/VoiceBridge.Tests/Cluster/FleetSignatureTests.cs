using VoiceBridge.Cluster;

namespace VoiceBridge.Tests.Cluster;

public sealed class FleetSignatureTests
{
    private const string Secret = "cluster-secret-5b2d4f6a8c0e";
    private static readonly DateTimeOffset At = new(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Verify_WhatWasSigned_Accepted()
    {
        var signature = FleetSignature.Sign(Secret, "admin", At, """{"op":"end","session":"s1"}""");

        Assert.True(FleetSignature.Verify(Secret, "admin", signature, At.AddSeconds(29), """{"op":"end","session":"s1"}"""));
        Assert.DoesNotContain(Secret, signature, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other-secret", "admin", """{"op":"end","session":"s1"}""", 0)]
    [InlineData(Secret, "resume", """{"op":"end","session":"s1"}""", 0)]
    [InlineData(Secret, "admin", """{"op":"end","session":"s2"}""", 0)]
    [InlineData(Secret, "admin", """{"op":"end","session":"s1"}""", 31)]
    [InlineData(Secret, "admin", """{"op":"end","session":"s1"}""", -31)]
    public void Verify_OtherSecretPurposePayloadOrTooOld_Refused(string secret, string purpose, string payload, int secondsLater)
    {
        var signature = FleetSignature.Sign(Secret, "admin", At, """{"op":"end","session":"s1"}""");

        Assert.False(FleetSignature.Verify(secret, purpose, signature, At.AddSeconds(secondsLater), payload));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no-dot")]
    [InlineData(".abc")]
    [InlineData("-5.abc")]
    [InlineData("12x.abc")]
    public void Verify_Malformed_Refused(string? signature)
    {
        Assert.False(FleetSignature.Verify(Secret, "admin", signature, At, "x"));
    }

    [Fact]
    public void Verify_TimestampMovedWithTheSameMac_Refused()
    {
        var signature = FleetSignature.Sign(Secret, "admin", At, "x");
        var mac = signature[(signature.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var moved = (At.ToUnixTimeMilliseconds() + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "." + mac;

        Assert.False(FleetSignature.Verify(Secret, "admin", moved, At, "x"));
    }
}
