using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using VoiceBridge.Configuration;
using VoiceBridge.Security;
using VoiceBridge.TestKit;

namespace VoiceBridge.Tests.Security;

/// <summary>
/// Every rule <see cref="BridgeTokenService.ValidateAsync"/> holds a presented token to, on tokens built by hand
/// (<see cref="HandJwt"/>), so each test fails when its rule is lost and none depends on the bridge's own minting.
/// </summary>
/// <remarks>
/// Review note, not a test: the signature is compared in constant time by the token library
/// (JsonWebTokenHandler), the admin key in AdminKeyCheck.KeysMatch. A unit test cannot observe timing, so none
/// pretends to.
/// </remarks>
public sealed class BridgeTokenValidationTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long NowS = Now.ToUnixTimeSeconds();

    private static Settings Params(
        string? issuer = null,
        string? audience = null,
        TimeSpan? max = null,
        TimeSpan? skew = null,
        IReadOnlyList<string>? mayUpdate = null,
        byte[]? key = null) =>
        new(key ?? HandJwt.Key, issuer, audience, max ?? TimeSpan.FromMinutes(10), skew ?? TimeSpan.FromSeconds(30), mayUpdate ?? RealtimeSessionOptions.DefaultTokenMayUpdate);

    private static BridgeTokenService Service(Settings settings, DateTimeOffset now)
    {
        var auth = new AuthOptions
        {
            Mode = AuthMode.Token,
            SigningKey = Convert.ToBase64String(settings.Key),
            Issuer = settings.Issuer,
            Audience = settings.Audience,
            MaxTokenLifetime = settings.Max,
            ClockSkew = settings.Skew,
        };
        var session = new RealtimeSessionOptions { TokenMayUpdate = [.. settings.MayUpdate] };
        return new BridgeTokenService(Options.Create(auth), Options.Create(session), new FakeTimeProvider(now));
    }

    private static ValueTask<TokenValidationResult> Validate(string? token, Settings? parameters = null, DateTimeOffset? now = null) =>
        Service(parameters ?? Params(), now ?? Now).ValidateAsync(token);

    private static string Payload(string extra = "", long expIn = 300) => $$"""{"sub":"user-1","exp":{{NowS + expIn}}{{extra}}}""";

    // ---- the happy path and interoperability -------------------------------------------------------------

    [Fact]
    public async Task Validate_HandSignedToken_IsValidWithSubjectAndExpiry()
    {
        var result = await Validate(HandJwt.Sign(Payload()));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("user-1", result.Subject);
        Assert.Equal(Now.AddSeconds(300), result.ExpiresAt);
        Assert.Null(result.Session);
    }

    [Fact]
    public async Task Validate_Rfc7515AppendixA1Example_IsValid()
    {
        // RFC 7515 Appendix A.1, verbatim: CRLF and spaces inside the JSON, typ before alg, a private claim.
        const string Token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" +
            ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" +
            ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        var key = Convert.FromBase64String(
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ+EstJQLr/T+1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow==");
        var parameters = Params(issuer: "joe", max: TimeSpan.FromHours(24), skew: TimeSpan.Zero, mayUpdate: [], key: key);

        var atIssue = DateTimeOffset.FromUnixTimeSeconds(1300819380 - 60);
        Assert.True((await Validate(Token, parameters, atIssue)).IsValid);
        Assert.Equal(TokenFailure.Expired, (await Validate(Token, parameters, atIssue.AddSeconds(61))).Failure);
    }

    [Fact]
    public async Task Validate_StandardHeaderWithoutTyp_IsValid()
    {
        Assert.True((await Validate(HandJwt.Sign(Payload(), """{"alg":"HS256"}"""))).IsValid);
    }

    // ---- size and structure ------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_TokenOverSizeLimit_IsTooLargeButALargeOneUnderItPasses()
    {
        var under = HandJwt.Sign(Payload($$""","session":{"instructions":"{{new string('a', 10_000)}}"}"""));
        var over = HandJwt.Sign(Payload($$""","session":{"instructions":"{{new string('a', 13_000)}}"}"""));
        Assert.InRange(under.Length, 13_000, BridgeTokenService.MaxTokenChars);
        Assert.True(over.Length > BridgeTokenService.MaxTokenChars);

        Assert.True((await Validate(under)).IsValid);
        Assert.Equal(TokenFailure.TooLarge, (await Validate(over)).Failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("abc.def")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    public async Task Validate_NotThreeSegments_IsMalformed(string token)
    {
        Assert.Equal(TokenFailure.Malformed, (await Validate(token)).Failure);
    }

    [Fact]
    public async Task Validate_StructureBroken_IsInvalidToken()
    {
        var valid = HandJwt.Sign(Payload());
        var parts = valid.Split('.');

        AssertInvalidToken(await Validate($"{parts[0]}.{parts[1]}"));
        AssertInvalidToken(await Validate($"{valid}.{parts[2]}"));
        AssertInvalidToken(await Validate($".{parts[1]}.{parts[2]}"));
        AssertInvalidToken(await Validate($"{parts[0]}..{parts[2]}"));
        AssertInvalidToken(await Validate(null));
    }

    // ---- header --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"HS256\"")]
    [InlineData("""{"alg":"HS256","typ":"JWT",}""")]
    [InlineData("""{"alg":"none","alg":"HS256"}""")]
    [InlineData("""{"alg":"HS256","alg":"HS256"}""")]
    public async Task Validate_HeaderNotASingleJsonObject_IsMalformed(string header)
    {
        Assert.Equal(TokenFailure.Malformed, (await Validate(HandJwt.Sign(Payload(), header))).Failure);
    }

    [Theory]
    [InlineData("""{"alg":"none","typ":"JWT"}""")]
    [InlineData("""{"alg":"None"}""")]
    [InlineData("""{"alg":"HS384","typ":"JWT"}""")]
    [InlineData("""{"alg":"HS512","typ":"JWT"}""")]
    [InlineData("""{"alg":"RS256","typ":"JWT"}""")]
    [InlineData("""{"alg":"ES256","typ":"JWT"}""")]
    [InlineData("""{"alg":"hs256","typ":"JWT"}""")]
    [InlineData("""{"alg":"HS256 ","typ":"JWT"}""")]
    [InlineData("""{"alg":"","typ":"JWT"}""")]
    [InlineData("""{"typ":"JWT"}""")]
    [InlineData("""{"alg":null,"typ":"JWT"}""")]
    [InlineData("""{"alg":256,"typ":"JWT"}""")]
    [InlineData("""{"alg":["HS256"],"typ":"JWT"}""")]
    public async Task Validate_AlgorithmOtherThanExactlyHS256_IsRefusedEvenWithAValidHmac(string header)
    {
        AssertInvalidToken(await Validate(HandJwt.Sign(Payload(), header)));
    }

    [Theory]
    [InlineData("HS384")]
    [InlineData("HS512")]
    public async Task Validate_OtherHmacSizeSignedCorrectlyWithTheKey_IsRefused(string alg)
    {
        // Signed with exactly the algorithm the header names, and with a key long enough for it (the library refuses
        // a key shorter than the hash), so only the HS256-only rule (ValidAlgorithms) refuses it.
        var key = RandomNumberGenerator.GetBytes(64);
        var token = HandJwt.Sign(Payload(), $$"""{"alg":"{{alg}}","typ":"JWT"}""", key, alg == "HS384" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA512);

        AssertInvalidToken(await Validate(token, Params(key: key)));
        Assert.True((await Validate(HandJwt.Sign(Payload(), key: key), Params(key: key))).IsValid);
    }

    [Fact]
    public async Task Validate_UnsecuredTokenWithEmptySignature_IsRefused()
    {
        var token = $"{HandJwt.B64("""{"alg":"none"}""")}.{HandJwt.B64(Payload())}.";

        AssertInvalidToken(await Validate(token));
    }

    [Fact]
    public async Task Validate_EmptySignatureWithHS256Header_IsSignatureInvalid()
    {
        var token = $"{HandJwt.B64(HandJwt.Header)}.{HandJwt.B64(Payload())}.";

        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate(token)).Failure);
    }

    [Fact]
    public async Task Validate_EscapedAlgSpellingOfHS256_IsTheSameStringAndValid()
    {
        Assert.True((await Validate(HandJwt.Sign(Payload(), """{"alg":"HS\u0032\u00356"}"""))).IsValid);
    }

    [Theory]
    [InlineData("""{"alg":"HS256","typ":"JWS"}""", false)]
    [InlineData("""{"alg":"HS256","typ":"at+jwt"}""", false)]
    [InlineData("""{"alg":"HS256","typ":""}""", false)]
    [InlineData("""{"alg":"HS256","typ":1}""", false)]
    [InlineData("""{"alg":"HS256","typ":null}""", false)]
    [InlineData("""{"alg":"HS256","typ":"JWT"}""", true)]
    [InlineData("""{"alg":"HS256","typ":"jwt"}""", true)]
    [InlineData("""{"alg":"HS256","kid":"key-1"}""", true)]
    public async Task Validate_Typ_IfPresentMustBeJwt(string header, bool valid)
    {
        var result = await Validate(HandJwt.Sign(Payload(), header));

        if (valid)
        {
            Assert.True(result.IsValid, result.ToString());
        }
        else
        {
            AssertInvalidToken(result);
        }
    }

    [Fact]
    public async Task Validate_CritHeader_IsRefused()
    {
        var token = HandJwt.Sign(Payload(), """{"alg":"HS256","typ":"JWT","crit":["b64"],"b64":false}""");

        Assert.Equal(TokenFailure.CriticalHeaderNotSupported, (await Validate(token)).Failure);
    }

    // ---- signature -----------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_AnySingleBitOfTheSignatureFlipped_IsSignatureInvalid()
    {
        var valid = HandJwt.Sign(Payload());
        var cut = valid.LastIndexOf('.');
        var signature = Convert.FromBase64String(ToStandard(valid[(cut + 1)..]));

        for (var bit = 0; bit < signature.Length * 8; bit++)
        {
            var flipped = (byte[])signature.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            var token = $"{valid[..cut]}.{HandJwt.B64(flipped)}";

            Assert.Equal(TokenFailure.SignatureInvalid, (await Validate(token)).Failure);
        }
    }

    [Fact]
    public async Task Validate_WrongKeyTruncatedOrForeignSignature_IsSignatureInvalid()
    {
        var otherKey = Encoding.ASCII.GetBytes("fedcba9876543210fedcba9876543210");
        var valid = HandJwt.Sign(Payload());
        var other = HandJwt.Sign(Payload(expIn: 200));

        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate(HandJwt.Sign(Payload(), key: otherKey))).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate(valid[..^4])).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate(valid + "AAAA")).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate(valid[..valid.LastIndexOf('.')] + other[other.LastIndexOf('.')..])).Failure);
    }

    [Fact]
    public async Task Validate_PayloadChangedAfterSigning_IsSignatureInvalid()
    {
        var valid = HandJwt.Sign(Payload());
        var parts = valid.Split('.');
        var forged = HandJwt.B64(HandJwt.Decode(parts[1]).Replace("user-1", "admin", StringComparison.Ordinal));

        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate($"{parts[0]}.{forged}.{parts[2]}")).Failure);
    }

    [Fact]
    public async Task Validate_HeaderChangedAfterSigning_IsSignatureInvalid()
    {
        var valid = HandJwt.Sign(Payload());
        var parts = valid.Split('.');

        Assert.Equal(TokenFailure.SignatureInvalid, (await Validate($"{HandJwt.B64("""{"alg":"HS256"}""")}.{parts[1]}.{parts[2]}")).Failure);
    }

    [Fact]
    public async Task Validate_BadSignature_IsInvalidTokenWhateverThePayloadSays()
    {
        static string Unsigned(string payload) => $"{HandJwt.B64(HandJwt.Header)}.{HandJwt.B64(payload)}.{HandJwt.B64(new byte[32])}";

        AssertInvalidToken(await Validate(Unsigned(Payload(expIn: -3600))));
        AssertInvalidToken(await Validate(Unsigned("not json")));
        AssertInvalidToken(await Validate(Unsigned("""{"sub":"x"}""")));
        AssertInvalidToken(await Validate(Unsigned(Payload(""","session":{"model":"x"}"""))));
    }

    // ---- payload -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("""{"exp":1}{"exp":2}""")]
    [InlineData("""{"sub":"a","sub":"b","exp":9999999999}""")]
    public async Task Validate_PayloadNotASingleJsonObject_IsMalformed(string payload)
    {
        Assert.Equal(TokenFailure.Malformed, (await Validate(HandJwt.Sign(payload))).Failure);
    }

    [Fact]
    public async Task Validate_DuplicateExpClaim_IsMalformedNotWhicheverWins()
    {
        var token = HandJwt.Sign($$"""{"exp":{{NowS - 3600}},"exp":{{NowS + 60}}}""");

        Assert.Equal(TokenFailure.Malformed, (await Validate(token)).Failure);
    }

    [Theory]
    [InlineData("header")]
    [InlineData("payload")]
    public async Task JsonWebTokenHandlerAlone_AcceptsRepeatedMembers_SoTheBridgeRefusesThemItself(string where)
    {
        // Why BridgeTokenService parses the signed header and payload once more: the library keeps one of two
        // same-named members without a word. Should a library update refuse them itself, this test fails and the
        // bridge's own check can go.
        var token = where == "header"
            ? HandJwt.Sign(Payload(), """{"alg":"HS256","typ":"JWT","typ":"JWT"}""")
            : HandJwt.Sign($$"""{"sub":"user-1","sub":"admin","exp":{{NowS + 60}}}""");
        var alone = await new JsonWebTokenHandler().ValidateTokenAsync(token, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
        {
            IssuerSigningKey = new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(HandJwt.Key),
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
        });

        Assert.True(alone.IsValid, alone.Exception?.GetType().Name);
        Assert.Equal(TokenFailure.Malformed, (await Validate(token)).Failure);
    }

    [Fact]
    public async Task Validate_PayloadWithInvalidUtf8_IsMalformed()
    {
        var bytes = Encoding.UTF8.GetBytes(Payload(",\"x\":\"AB\"")).ToList();
        var at = bytes.IndexOf((byte)'B');
        bytes[at] = 0xC3; // a lead byte followed by '"': truncated UTF-8
        var token = HandJwt.SignRaw($"{HandJwt.B64(HandJwt.Header)}.{HandJwt.B64([.. bytes])}");

        Assert.Equal(TokenFailure.Malformed, (await Validate(token)).Failure);
    }

    [Fact]
    public async Task Validate_HeaderWithInvalidUtf8_IsMalformed()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"alg":"HS256","kid":"AB"}""");
        bytes[Array.IndexOf(bytes, (byte)'B')] = 0xFF;
        var token = HandJwt.SignRaw($"{HandJwt.B64(bytes)}.{HandJwt.B64(Payload())}");

        Assert.Equal(TokenFailure.Malformed, (await Validate(token)).Failure);
    }

    [Fact]
    public async Task Validate_PayloadNestedBeyondTheDepthLimit_IsMalformedWithoutThrowing()
    {
        var deep = new string('[', 200) + new string(']', 200);
        var token = HandJwt.Sign(Payload($$""","session":{"tools":{{deep}}}"""));

        Assert.Equal(TokenFailure.Malformed, (await Validate(token)).Failure);
    }

    // ---- exp / nbf / iat -------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_NoExp_IsExpirationMissing()
    {
        Assert.Equal(TokenFailure.ExpirationMissing, (await Validate(HandJwt.Sign("""{"sub":"user-1"}"""))).Failure);
    }

    [Theory]
    [InlineData("\"1767225900\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[1767225900]")]
    public async Task Validate_ExpNotANumber_IsInvalidToken(string exp)
    {
        AssertInvalidToken(await Validate(HandJwt.Sign($$"""{"exp":{{exp}}}""")));
    }

    [Fact]
    public async Task Validate_FractionalExp_IsAcceptedAndKeepsMilliseconds()
    {
        var result = await Validate(HandJwt.Sign($$"""{"exp":{{NowS + 60}}.25}"""));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Now.AddSeconds(60.25), result.ExpiresAt);
    }

    [Fact]
    public async Task Validate_HugeOrNegativeExp_IsRefusedWithoutThrowing()
    {
        AssertInvalidToken(await Validate(HandJwt.Sign("""{"exp":1e300}""")));
        AssertInvalidToken(await Validate(HandJwt.Sign("""{"exp":99999999999999999999999}""")));
        AssertInvalidToken(await Validate(HandJwt.Sign("""{"exp":1e400}""")));
        Assert.False((await Validate(HandJwt.Sign("""{"exp":-1e300}"""))).IsValid);
    }

    [Theory]
    [InlineData("nbf")]
    [InlineData("iat")]
    public async Task Validate_NbfOrIatNotANumber_IsClaimInvalid(string claim)
    {
        Assert.Equal(TokenFailure.ClaimInvalid, (await Validate(HandJwt.Sign(Payload($",\"{claim}\":\"{NowS}\"")))).Failure);
    }

    [Theory]
    [InlineData(30_000, true)]
    [InlineData(30_001, false)]
    [InlineData(0, true)]
    [InlineData(-1, true)]
    public async Task Validate_ExpiryHonoursTheClockSkewToTheMillisecond(int msAfterExp, bool valid)
    {
        var token = HandJwt.Sign($$"""{"exp":{{NowS}}}""");

        var result = await Validate(token, now: Now.AddMilliseconds(msAfterExp));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.Expired, result.Failure);
    }

    [Theory]
    [InlineData(30_000, true)]
    [InlineData(30_001, false)]
    [InlineData(-5_000, true)]
    public async Task Validate_NotBeforeHonoursTheClockSkew(int msBeforeNbf, bool valid)
    {
        var token = HandJwt.Sign(Payload($$""","nbf":{{NowS}}"""));

        var result = await Validate(token, now: Now.AddMilliseconds(-msBeforeNbf));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.NotYetValid, result.Failure);
    }

    [Theory]
    [InlineData(630, true)]
    [InlineData(631, false)]
    [InlineData(86_400, false)]
    public async Task Validate_ExpFurtherFromNowThanMaxLifetimePlusSkew_IsLifetimeTooLong(int expIn, bool valid)
    {
        var result = await Validate(HandJwt.Sign(Payload(expIn: expIn)));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.LifetimeTooLong, result.Failure);
    }

    [Theory]
    [InlineData(600, true)]
    [InlineData(601, false)]
    public async Task Validate_ExpFurtherFromIatThanMaxLifetime_IsLifetimeTooLongWithoutSkew(int expMinusIat, bool valid)
    {
        // exp is only 100 s from now: only the iat rule can refuse it.
        var iat = NowS + 100 - expMinusIat;
        var result = await Validate(HandJwt.Sign(Payload($$""","iat":{{iat}}""", expIn: 100)));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.LifetimeTooLong, result.Failure);
    }

    // ---- iss / aud / sub -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(",\"iss\":\"https://backend.example\"", "None")]
    [InlineData(",\"iss\":\"https://evil.example\"", "IssuerMismatch")]
    [InlineData(",\"iss\":\"HTTPS://BACKEND.EXAMPLE\"", "IssuerMismatch")]
    [InlineData("", "IssuerMismatch")]
    [InlineData(""","iss":42""", "Refused")]
    public async Task Validate_ConfiguredIssuer_MustMatchExactly(string claim, string expected)
    {
        var result = await Validate(HandJwt.Sign(Payload(claim)), Params(issuer: "https://backend.example"));

        if (expected == "Refused")
        {
            AssertInvalidToken(result);
        }
        else
        {
            Assert.Equal(Enum.Parse<TokenFailure>(expected), result.Failure);
        }
    }

    [Fact]
    public async Task Validate_NoConfiguredIssuer_AcceptsAnyStringIssuer()
    {
        Assert.True((await Validate(HandJwt.Sign(Payload(",\"iss\":\"anyone\"")))).IsValid);
        AssertInvalidToken(await Validate(HandJwt.Sign(Payload(""","iss":{}"""))));
    }

    [Theory]
    [InlineData(",\"aud\":\"voicebridge\"", "None")]
    [InlineData(""","aud":["other","voicebridge"]""", "None")]
    [InlineData(""","aud":["other"]""", "AudienceMismatch")]
    [InlineData(""","aud":[]""", "AudienceMismatch")]
    [InlineData(",\"aud\":\"voicebridge2\"", "AudienceMismatch")]
    [InlineData(",\"aud\":\"voicebridge/\"", "AudienceMismatch")]
    [InlineData(",\"aud\":\"VoiceBridge\"", "AudienceMismatch")]
    [InlineData("", "AudienceMismatch")]
    [InlineData(""","aud":5""", "Refused")]
    [InlineData(""","aud":["voicebridge",5]""", "Refused")]
    [InlineData(""","aud":null""", "Refused")]
    public async Task Validate_ConfiguredAudience_MustBeTheStringOrInTheArray(string claim, string expected)
    {
        var result = await Validate(HandJwt.Sign(Payload(claim)), Params(audience: "voicebridge"));

        if (expected == "Refused")
        {
            AssertInvalidToken(result);
        }
        else
        {
            Assert.Equal(Enum.Parse<TokenFailure>(expected), result.Failure);
        }
    }

    [Fact]
    public async Task Validate_NoConfiguredAudience_AcceptsAnyWellTypedAudience()
    {
        Assert.True((await Validate(HandJwt.Sign(Payload(""","aud":["a","b"]""")))).IsValid);
    }

    [Theory]
    [InlineData(""","sub":42""")]
    [InlineData(",\"sub\":\"\"")]
    [InlineData(""","sub":null""")]
    [InlineData(""","sub":["a"]""")]
    public async Task Validate_SubNotANonEmptyString_IsInvalidToken(string claim)
    {
        var result = await Validate(HandJwt.Sign($$"""{"exp":{{NowS + 60}}{{claim}}}"""));

        AssertInvalidToken(result);
    }

    [Fact]
    public async Task Validate_NoSub_IsValidWithoutSubject()
    {
        var result = await Validate(HandJwt.Sign($$"""{"exp":{{NowS + 60}}}"""));

        Assert.True(result.IsValid);
        Assert.Null(result.Subject);
    }

    // ---- session claim ---------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_SessionWithAllowedFields_IsValidAndReturnsTheClaim()
    {
        const string Session = """{"type":"realtime","instructions":"Be brief.","audio":{"output":{"voice":"marin"},"input":{"turn_detection":{"type":"semantic_vad"}}},"tools":[],"tool_choice":"auto"}""";

        var result = await Validate(HandJwt.Sign(Payload($$""","session":{{Session}}""")));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Session, result.Session!.Value.GetRawText());
    }

    [Theory]
    [InlineData("""{"model":"gpt-realtime"}""", "model")]
    [InlineData("""{"instructions":"x","tracing":"auto"}""", "tracing")]
    [InlineData("""{"audio":{"input":{"format":{"type":"audio/pcmu"}}}}""", "audio.input.format")]
    [InlineData("""{"audio":{"output":{"speed":1.5}}}""", "audio.output.speed")]
    [InlineData("""{"audio":"x"}""", "audio")]
    public async Task Validate_SessionWithAFieldOutsideTokenMayUpdate_IsRefusedNamingIt(string session, string field)
    {
        var result = await Validate(HandJwt.Sign(Payload($$""","session":{{session}}""")));

        Assert.Equal(TokenFailure.SessionFieldNotAllowed, result.Failure);
        Assert.Contains(field, result.Detail, StringComparison.Ordinal);
        Assert.Null(result.Session);
    }

    [Fact]
    public async Task Validate_SessionPolicyComesFromTheParameters()
    {
        var token = HandJwt.Sign(Payload(""","session":{"instructions":"x"}"""));

        Assert.True((await Validate(token)).IsValid);
        Assert.Equal(TokenFailure.SessionFieldNotAllowed, (await Validate(token, Params(mayUpdate: ["tools"]))).Failure);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("\"instructions\"")]
    [InlineData("[]")]
    public async Task Validate_SessionNotAnObject_IsClaimInvalid(string session)
    {
        Assert.Equal(TokenFailure.ClaimInvalid, (await Validate(HandJwt.Sign(Payload($$""","session":{{session}}""")))).Failure);
    }

    [Fact]
    public async Task Validate_NullSession_IsValidWithoutClaim()
    {
        var result = await Validate(HandJwt.Sign(Payload(""","session":null""")));

        Assert.True(result.IsValid);
        Assert.Null(result.Session);
    }

    // ---- hostile input -------------------------------------------------------------------------------------

    [Fact]
    public async Task Validate_TwentyThousandMutatedTokens_NeverThrowAndNeverPassChanged()
    {
        var random = new Random(20260101);
        var valid = HandJwt.Sign(Payload(""","session":{"instructions":"hi"}"""));
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \u00e9\0";
        var parameters = Params();

        for (var i = 0; i < 20_000; i++)
        {
            var chars = valid.ToCharArray().ToList();
            var edits = 1 + random.Next(4);
            for (var e = 0; e < edits; e++)
            {
                var at = random.Next(chars.Count);
                switch (random.Next(4))
                {
                    case 0: chars[at] = Alphabet[random.Next(Alphabet.Length)]; break;
                    case 1: chars.RemoveAt(at); break;
                    case 2: chars.Insert(at, Alphabet[random.Next(Alphabet.Length)]); break;
                    default: chars.RemoveRange(at, chars.Count - at); break;
                }

                if (chars.Count == 0)
                {
                    break;
                }
            }

            var mutated = new string([.. chars]);
            var result = await Validate(mutated, parameters);

            Assert.True(!result.IsValid || mutated == valid, $"a mutated token passed: {mutated}");
        }
    }

    [Fact]
    public async Task Validate_Refusals_NeverCarryTheSigningKey()
    {
        // The library's own exception messages may describe the key they tried; none of that may reach a browser.
        var wrongKey = Encoding.ASCII.GetBytes("fedcba9876543210fedcba9876543210");
        string[] refused =
        [
            HandJwt.Sign(Payload(), key: wrongKey),
            HandJwt.Sign(Payload(), """{"alg":"HS512"}"""),
            HandJwt.Sign(Payload(), """{"alg":"none"}"""),
            HandJwt.Sign(Payload(expIn: -3600)),
            HandJwt.Sign(Payload(""","session":{"model":"x"}""")),
            HandJwt.Sign("""{"exp":"soon"}"""),
            "a.b.c",
        ];

        foreach (var token in refused)
        {
            var result = await Validate(token);
            var (_, message) = VoiceAuthorizer.Describe(result);

            Assert.False(result.IsValid);
            foreach (var secret in new[] { HandJwt.KeyBase64, Encoding.ASCII.GetString(HandJwt.Key), Convert.ToHexString(HandJwt.Key) })
            {
                Assert.DoesNotContain(secret, message, StringComparison.OrdinalIgnoreCase);
                Assert.DoesNotContain(secret, result.Detail ?? "", StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public async Task Validate_RandomGarbage_NeverThrows()
    {
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            var text = i % 2 == 0 ? Encoding.Latin1.GetString(bytes) : $"{HandJwt.B64(bytes)}.{HandJwt.B64(bytes[..(bytes.Length / 2)])}.{HandJwt.B64(bytes)}";

            Assert.False((await Validate(text)).IsValid);
        }
    }

    // ---- Mint ---------------------------------------------------------------------------------------------

    private static BridgeTokenService Minter(string? issuer = null, string? audience = null) => Service(Params(issuer, audience), Now);

    [Fact]
    public void Mint_WritesAStandardHeaderAndASignatureAnyLibraryVerifies()
    {
        var token = Minter().Mint("user-1", 300, null).Value;
        var parts = token.Split('.');

        Assert.Equal(3, parts.Length);
        Assert.DoesNotContain('=', token);
        using var header = JsonDocument.Parse(HandJwt.Decode(parts[0]));
        Assert.Equal("HS256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("JWT", header.RootElement.GetProperty("typ").GetString());
        Assert.Equal(HandJwt.SignRaw($"{parts[0]}.{parts[1]}"), token);
    }

    [Fact]
    public void Mint_WritesEveryClaimAsNumericDatesAndStrings()
    {
        using var session = JsonDocument.Parse("""{"instructions":"Be brief."}""");
        var token = Minter("https://backend.example", "voicebridge").Mint("user-\"7\"", 300, session.RootElement).Value;

        using var payload = JsonDocument.Parse(HandJwt.Decode(token.Split('.')[1]));
        var root = payload.RootElement;
        Assert.Equal(NowS + 300, root.GetProperty("exp").GetInt64());
        Assert.Equal(NowS, root.GetProperty("iat").GetInt64());
        Assert.Equal("user-\"7\"", root.GetProperty("sub").GetString());
        Assert.Equal("https://backend.example", root.GetProperty("iss").GetString());
        Assert.Equal("voicebridge", root.GetProperty("aud").GetString());
        Assert.Equal("Be brief.", root.GetProperty("session").GetProperty("instructions").GetString());
    }

    [Fact]
    public async Task Mint_ThenValidate_RoundTrips()
    {
        using var session = JsonDocument.Parse("""{"audio":{"output":{"voice":"cedar"}}}""");
        var token = Minter("iss", "aud").Mint("user-9", 600, session.RootElement).Value;

        var result = await Validate(token, Params(issuer: "iss", audience: "aud"));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("user-9", result.Subject);
        Assert.Equal(Now.AddMinutes(10), result.ExpiresAt);
        Assert.Equal("cedar", result.Session!.Value.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
    }

    [Fact]
    public void Mint_SessionNotAnObject_Throws()
    {
        using var array = JsonDocument.Parse("[]");

        Assert.Throws<ArgumentException>(() => Minter().Mint(null, 60, array.RootElement));
    }

    /// <summary>Refused with the code a browser sees for every bad token (not token_expired, not token_not_yet_valid).</summary>
    private static void AssertInvalidToken(TokenValidationResult result)
    {
        Assert.False(result.IsValid);
        Assert.Equal(AuthErrorCodes.InvalidToken, VoiceAuthorizer.Describe(result).Code);
    }

    private static string ToStandard(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }

    private sealed record Settings(byte[] Key, string? Issuer, string? Audience, TimeSpan Max, TimeSpan Skew, IReadOnlyList<string> MayUpdate);
}
