using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using VoiceBridge.Configuration;
using VoiceBridge.Security;
using VoiceBridge.TestKit;

namespace VoiceBridge.Tests.Security;

/// <summary>The configured token service on a hand-set clock: lifetime and skew boundaries, minting.</summary>
public sealed class BridgeTokenServiceTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static BridgeTokenService Service(FakeTimeProvider clock, Action<AuthOptions>? configure = null, RealtimeSessionOptions? session = null)
    {
        var auth = new AuthOptions { Mode = AuthMode.Token, SigningKey = HandJwt.KeyBase64 };
        configure?.Invoke(auth);
        return new BridgeTokenService(Options.Create(auth), Options.Create(session ?? new RealtimeSessionOptions()), clock);
    }

    [Fact]
    public async Task Validate_AsTheClockPassesExpPlusSkew_FlipsToExpired()
    {
        var clock = new FakeTimeProvider(Start);
        var service = Service(clock, o => o.ClockSkew = TimeSpan.FromSeconds(10));
        var token = HandJwt.Sign($$"""{"exp":{{Start.AddMinutes(5).ToUnixTimeSeconds()}}}""");

        clock.SetUtcNow(Start.AddMinutes(5).AddSeconds(10));
        Assert.True((await service.ValidateAsync(token)).IsValid);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TokenFailure.Expired, (await service.ValidateAsync(token)).Failure);
    }

    [Fact]
    public async Task Validate_ZeroSkew_ExpiresExactlyAtExp()
    {
        var clock = new FakeTimeProvider(Start);
        var service = Service(clock, o => o.ClockSkew = TimeSpan.Zero);
        var token = HandJwt.Sign($$"""{"exp":{{Start.ToUnixTimeSeconds()}}}""");

        Assert.True((await service.ValidateAsync(token)).IsValid);
        clock.SetUtcNow(Start.AddMilliseconds(1));
        Assert.Equal(TokenFailure.Expired, (await service.ValidateAsync(token)).Failure);
    }

    [Fact]
    public async Task Validate_AsTheClockReachesNbfMinusSkew_FlipsToValid()
    {
        var clock = new FakeTimeProvider(Start);
        var service = Service(clock);
        var nbf = Start.AddMinutes(2);
        var token = HandJwt.Sign($$"""{"nbf":{{nbf.ToUnixTimeSeconds()}},"exp":{{nbf.AddMinutes(5).ToUnixTimeSeconds()}}}""");

        clock.SetUtcNow(nbf.AddSeconds(-30).AddMilliseconds(-1));
        Assert.Equal(TokenFailure.NotYetValid, (await service.ValidateAsync(token)).Failure);

        clock.SetUtcNow(nbf.AddSeconds(-30));
        Assert.True((await service.ValidateAsync(token)).IsValid);
    }

    [Fact]
    public async Task Validate_ConfiguredMaxLifetime_BoundsExpFromNow()
    {
        // A fake clock only moves forward: a millisecond before the bound first, then at it.
        var clock = new FakeTimeProvider(Start.AddMilliseconds(-1));
        var service = Service(clock, o =>
        {
            o.MaxTokenLifetime = TimeSpan.FromHours(1);
            o.ClockSkew = TimeSpan.Zero;
        });
        var token = HandJwt.Sign($$"""{"exp":{{Start.AddHours(1).ToUnixTimeSeconds()}}}""");

        Assert.Equal(TokenFailure.LifetimeTooLong, (await service.ValidateAsync(token)).Failure);
        clock.SetUtcNow(Start);
        Assert.True((await service.ValidateAsync(token)).IsValid);
    }

    [Fact]
    public async Task Validate_ConfiguredIssuerAndAudience_AreEnforced()
    {
        var clock = new FakeTimeProvider(Start);
        var service = Service(clock, o =>
        {
            o.Issuer = "https://backend.example";
            o.Audience = "voicebridge";
        });
        var exp = Start.AddMinutes(1).ToUnixTimeSeconds();

        Assert.True((await service.ValidateAsync(HandJwt.Sign($$"""{"exp":{{exp}},"iss":"https://backend.example","aud":"voicebridge"}"""))).IsValid);
        Assert.Equal(TokenFailure.IssuerMismatch, (await service.ValidateAsync(HandJwt.Sign($$"""{"exp":{{exp}},"aud":"voicebridge"}"""))).Failure);
        Assert.Equal(TokenFailure.AudienceMismatch, (await service.ValidateAsync(HandJwt.Sign($$"""{"exp":{{exp}},"iss":"https://backend.example"}"""))).Failure);
    }

    [Fact]
    public async Task Validate_ConfiguredTokenMayUpdate_IsThePolicy()
    {
        var clock = new FakeTimeProvider(Start);
        var service = Service(clock, session: new RealtimeSessionOptions { TokenMayUpdate = ["audio.output.speed"] });
        var exp = Start.AddMinutes(1).ToUnixTimeSeconds();

        Assert.True((await service.ValidateAsync(HandJwt.Sign($$"""{"exp":{{exp}},"session":""" + """{"audio":{"output":{"speed":1.2}}}}"""))).IsValid);
        Assert.Equal(TokenFailure.SessionFieldNotAllowed, (await service.ValidateAsync(HandJwt.Sign($$$"""{"exp":{{{exp}}},"session":{"instructions":"x"}}"""))).Failure);
    }

    [Fact]
    public async Task Mint_WholeSecondsFromNow_ValidatesUntilExpiry()
    {
        var clock = new FakeTimeProvider(Start.AddMilliseconds(700));
        var service = Service(clock, o =>
        {
            o.Issuer = "iss";
            o.Audience = "aud";
            o.ClockSkew = TimeSpan.Zero;
        });
        using var session = JsonDocument.Parse("""{"instructions":"Speak French."}""");

        var minted = service.Mint("user-4", 600, session.RootElement);

        Assert.Equal(Start.AddSeconds(600), minted.ExpiresAt);
        var result = await service.ValidateAsync(minted.Value);
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("user-4", result.Subject);
        Assert.Equal("Speak French.", result.Session!.Value.GetProperty("instructions").GetString());
        Assert.DoesNotContain(minted.Value, minted.ToString(), StringComparison.Ordinal);

        clock.SetUtcNow(Start.AddSeconds(600).AddMilliseconds(1));
        Assert.Equal(TokenFailure.Expired, (await service.ValidateAsync(minted.Value)).Failure);
    }

    [Fact]
    public async Task Mint_AtTheMaximumLifetime_StillValidates()
    {
        var clock = new FakeTimeProvider(Start.AddMilliseconds(999));
        var service = Service(clock, o =>
        {
            o.MaxTokenLifetime = TimeSpan.FromSeconds(90);
            o.ClockSkew = TimeSpan.Zero;
        });

        Assert.True((await service.ValidateAsync(service.Mint(null, 90, null).Value)).IsValid);
    }

    [Fact]
    public async Task NoSigningKey_CannotMintOrValidate()
    {
        var service = new BridgeTokenService(Options.Create(new AuthOptions()), Options.Create(new RealtimeSessionOptions()), new FakeTimeProvider(Start));

        Assert.False(service.HasSigningKey);
        Assert.Throws<InvalidOperationException>(() => service.Mint(null, 60, null));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await service.ValidateAsync("a.b.c"));
    }
}
