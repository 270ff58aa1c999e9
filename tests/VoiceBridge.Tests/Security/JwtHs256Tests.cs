using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

/// <summary>
/// Every validation rule of <see cref="JwtHs256"/>, on tokens built by hand (<see cref="HandJwt"/>), so each test
/// fails when its rule is removed and none depends on the bridge's own <see cref="JwtHs256.Create"/>.
/// </summary>
/// <remarks>
/// Review note, not a test: the signature is compared with CryptographicOperations.FixedTimeEquals in
/// JwtHs256.SignatureMatches (and the admin key in AdminKeyCheck.KeysMatch, after hashing both sides to 32 bytes).
/// A unit test cannot observe timing, so none pretends to.
/// </remarks>
public sealed class JwtHs256Tests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly long NowS = Now.ToUnixTimeSeconds();

    private static TokenValidationParameters Params(
        string? issuer = null,
        string? audience = null,
        TimeSpan? max = null,
        TimeSpan? skew = null,
        IReadOnlyList<string>? mayUpdate = null) =>
        new(HandJwt.Key, max ?? TimeSpan.FromMinutes(10), skew ?? TimeSpan.FromSeconds(30), mayUpdate ?? RealtimeSessionOptions.DefaultTokenMayUpdate)
        {
            Issuer = issuer,
            Audience = audience,
        };

    private static TokenValidationResult Validate(string token, TokenValidationParameters? parameters = null, DateTimeOffset? now = null) =>
        JwtHs256.Validate(token, parameters ?? Params(), now ?? Now);

    private static string Payload(string extra = "", long expIn = 300) => $$"""{"sub":"user-1","exp":{{NowS + expIn}}{{extra}}}""";

    // ---- the happy path and interoperability -------------------------------------------------------------

    [Fact]
    public void Validate_HandSignedToken_IsValidWithSubjectAndExpiry()
    {
        var result = Validate(HandJwt.Sign(Payload()));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("user-1", result.Subject);
        Assert.Equal(Now.AddSeconds(300), result.ExpiresAt);
        Assert.Null(result.Session);
    }

    [Fact]
    public void Validate_Rfc7515AppendixA1Example_IsValid()
    {
        // RFC 7515 Appendix A.1, verbatim: CRLF and spaces inside the JSON, typ before alg, a private claim.
        const string Token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" +
            ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ" +
            ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        var key = Convert.FromBase64String(
            "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ+EstJQLr/T+1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow==");
        var parameters = new TokenValidationParameters(key, TimeSpan.FromHours(24), TimeSpan.Zero, [])
        {
            Issuer = "joe",
        };

        var atIssue = DateTimeOffset.FromUnixTimeSeconds(1300819380 - 60);
        Assert.True(JwtHs256.Validate(Token, parameters, atIssue).IsValid);
        Assert.Equal(TokenFailure.Expired, JwtHs256.Validate(Token, parameters, atIssue.AddSeconds(61)).Failure);
    }

    [Fact]
    public void Validate_StandardHeaderWithoutTyp_IsValid()
    {
        Assert.True(Validate(HandJwt.Sign(Payload(), """{"alg":"HS256"}""")).IsValid);
    }

    // ---- size and structure ------------------------------------------------------------------------------

    [Fact]
    public void Validate_TokenOverSizeLimit_IsTooLargeButALargeOneUnderItPasses()
    {
        var under = HandJwt.Sign(Payload($$""","session":{"instructions":"{{new string('a', 10_000)}}"}"""));
        var over = HandJwt.Sign(Payload($$""","session":{"instructions":"{{new string('a', 13_000)}}"}"""));
        Assert.InRange(under.Length, 13_000, JwtHs256.MaxTokenChars);
        Assert.True(over.Length > JwtHs256.MaxTokenChars);

        Assert.True(Validate(under).IsValid);
        Assert.Equal(TokenFailure.TooLarge, Validate(over).Failure);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("abc.def")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("...")]
    public void Validate_NotThreeSegments_IsMalformed(string token)
    {
        Assert.Equal(TokenFailure.Malformed, Validate(token).Failure);
    }

    [Fact]
    public void Validate_StructureBroken_IsMalformed()
    {
        var valid = HandJwt.Sign(Payload());
        var parts = valid.Split('.');

        Assert.Equal(TokenFailure.Malformed, Validate($"{parts[0]}.{parts[1]}").Failure);
        Assert.Equal(TokenFailure.Malformed, Validate($"{valid}.{parts[2]}").Failure);
        Assert.Equal(TokenFailure.Malformed, Validate($".{parts[1]}.{parts[2]}").Failure);
        Assert.Equal(TokenFailure.Malformed, Validate($"{parts[0]}..{parts[2]}").Failure);
        Assert.Equal(TokenFailure.Malformed, JwtHs256.Validate(null, Params(), Now).Failure);
    }

    [Theory]
    [InlineData("padding")]
    [InlineData("space")]
    [InlineData("newline")]
    [InlineData("plus")]
    [InlineData("slash")]
    [InlineData("non-canonical")]
    [InlineData("length-mod-4-is-1")]
    public void Validate_SegmentNotStrictBase64Url_IsMalformedEvenWhenSignedThatWay(string flaw)
    {
        // Each flawed spelling is signed as is: only the strict base64url rule can refuse it. "~~~~~~" and "??????"
        // hold an aligned 0x7E7E7E / 0x3F3F3F, which base64 writes with index 62 / 63 ('-' / '_' in base64url).
        var header = HandJwt.B64(HandJwt.Header);
        var payloadJson = Payload();
        var payload = HandJwt.B64(payloadJson);
        var signingInput = flaw switch
        {
            "padding" => $"{header}.{HandJwt.B64(payloadJson + " ")}==",
            "space" => $"{header}. {payload}",
            "newline" => $"{header}.{payload[..10]}\n{payload[10..]}",
            "plus" => $"{header}.{HandJwt.B64(Payload(",\"pad\":\"~~~~~~\"")).Replace('-', '+')}",
            "slash" => $"{header}.{HandJwt.B64(Payload(",\"pad\":\"??????\"")).Replace('_', '/')}",
            "non-canonical" => $"{header}.{NonCanonical(HandJwt.B64(payloadJson + " "))}",
            "length-mod-4-is-1" => $"{header}.{payload}A",
            _ => throw new ArgumentOutOfRangeException(nameof(flaw)),
        };
        if (flaw is "plus" or "slash")
        {
            Assert.Contains(flaw == "plus" ? '+' : '/', signingInput);
        }

        Assert.Equal(TokenFailure.Malformed, Validate(HandJwt.SignRaw(signingInput)).Failure);
    }

    // ---- header --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("\"HS256\"")]
    [InlineData("""{"alg":"HS256","typ":"JWT",}""")]
    [InlineData("""{"alg":"none","alg":"HS256"}""")]
    [InlineData("""{"alg":"HS256","alg":"HS256"}""")]
    public void Validate_HeaderNotASingleJsonObject_IsHeaderInvalid(string header)
    {
        Assert.Equal(TokenFailure.HeaderInvalid, Validate(HandJwt.Sign(Payload(), header)).Failure);
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
    public void Validate_AlgorithmOtherThanExactlyHS256_IsRefusedEvenWithAValidHmac(string header)
    {
        Assert.Equal(TokenFailure.AlgorithmNotAllowed, Validate(HandJwt.Sign(Payload(), header)).Failure);
    }

    [Fact]
    public void Validate_UnsecuredTokenWithEmptySignature_IsRefused()
    {
        var token = $"{HandJwt.B64("""{"alg":"none"}""")}.{HandJwt.B64(Payload())}.";

        Assert.Equal(TokenFailure.AlgorithmNotAllowed, Validate(token).Failure);
    }

    [Fact]
    public void Validate_EmptySignatureWithHS256Header_IsSignatureInvalid()
    {
        var token = $"{HandJwt.B64(HandJwt.Header)}.{HandJwt.B64(Payload())}.";

        Assert.Equal(TokenFailure.SignatureInvalid, Validate(token).Failure);
    }

    [Fact]
    public void Validate_EscapedAlgSpellingOfHS256_IsTheSameStringAndValid()
    {
        Assert.True(Validate(HandJwt.Sign(Payload(), """{"alg":"HS\u0032\u00356"}""")).IsValid);
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
    public void Validate_Typ_IfPresentMustBeJwt(string header, bool valid)
    {
        var result = Validate(HandJwt.Sign(Payload(), header));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.TypeNotAllowed, result.Failure);
    }

    [Fact]
    public void Validate_CritHeader_IsRefused()
    {
        var token = HandJwt.Sign(Payload(), """{"alg":"HS256","typ":"JWT","crit":["b64"],"b64":false}""");

        Assert.Equal(TokenFailure.CriticalHeaderNotSupported, Validate(token).Failure);
    }

    // ---- signature -----------------------------------------------------------------------------------------

    [Fact]
    public void Validate_AnySingleBitOfTheSignatureFlipped_IsSignatureInvalid()
    {
        var valid = HandJwt.Sign(Payload());
        var cut = valid.LastIndexOf('.');
        var signature = Convert.FromBase64String(ToStandard(valid[(cut + 1)..]));

        for (var bit = 0; bit < signature.Length * 8; bit++)
        {
            var flipped = (byte[])signature.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            var token = $"{valid[..cut]}.{HandJwt.B64(flipped)}";

            Assert.Equal(TokenFailure.SignatureInvalid, Validate(token).Failure);
        }
    }

    [Fact]
    public void Validate_SignatureWithNonZeroUnusedBits_IsSignatureInvalidRatherThanTheSameMac()
    {
        // 32 bytes = 43 characters; the last one carries 4 bits and 2 unused ones that must be zero.
        var valid = HandJwt.Sign(Payload());
        var token = valid[..^1] + NextCharSameBits(valid[^1]);

        Assert.Equal(TokenFailure.SignatureInvalid, Validate(token).Failure);
    }

    [Fact]
    public void Validate_WrongKeyTruncatedOrForeignSignature_IsSignatureInvalid()
    {
        var otherKey = Encoding.ASCII.GetBytes("fedcba9876543210fedcba9876543210");
        var valid = HandJwt.Sign(Payload());
        var other = HandJwt.Sign(Payload(expIn: 200));

        Assert.Equal(TokenFailure.SignatureInvalid, Validate(HandJwt.Sign(Payload(), key: otherKey)).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, Validate(valid[..^4]).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, Validate(valid + "AAAA").Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, Validate(valid[..valid.LastIndexOf('.')] + other[other.LastIndexOf('.')..]).Failure);
    }

    [Fact]
    public void Validate_PayloadChangedAfterSigning_IsSignatureInvalid()
    {
        var valid = HandJwt.Sign(Payload());
        var parts = valid.Split('.');
        var forged = HandJwt.B64(HandJwt.Decode(parts[1]).Replace("user-1", "admin", StringComparison.Ordinal));

        Assert.Equal(TokenFailure.SignatureInvalid, Validate($"{parts[0]}.{forged}.{parts[2]}").Failure);
    }

    [Fact]
    public void Validate_HeaderChangedAfterSigning_IsSignatureInvalid()
    {
        var valid = HandJwt.Sign(Payload());
        var parts = valid.Split('.');

        Assert.Equal(TokenFailure.SignatureInvalid, Validate($"{HandJwt.B64("""{"alg":"HS256"}""")}.{parts[1]}.{parts[2]}").Failure);
    }

    [Fact]
    public void Validate_BadSignature_IsReportedBeforeAnythingInThePayload()
    {
        static string Unsigned(string payload) => $"{HandJwt.B64(HandJwt.Header)}.{HandJwt.B64(payload)}.{HandJwt.B64(new byte[32])}";

        Assert.Equal(TokenFailure.SignatureInvalid, Validate(Unsigned(Payload(expIn: -3600))).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, Validate(Unsigned("not json")).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, Validate(Unsigned("""{"sub":"x"}""")).Failure);
        Assert.Equal(TokenFailure.SignatureInvalid, Validate(Unsigned(Payload(""","session":{"model":"x"}"""))).Failure);
    }

    // ---- payload -------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("""{"exp":1}{"exp":2}""")]
    [InlineData("""{"sub":"a","sub":"b","exp":9999999999}""")]
    public void Validate_PayloadNotASingleJsonObject_IsPayloadInvalid(string payload)
    {
        Assert.Equal(TokenFailure.PayloadInvalid, Validate(HandJwt.Sign(payload)).Failure);
    }

    [Fact]
    public void Validate_DuplicateExpClaim_IsPayloadInvalidNotWhicheverWins()
    {
        var token = HandJwt.Sign($$"""{"exp":{{NowS - 3600}},"exp":{{NowS + 60}}}""");

        Assert.Equal(TokenFailure.PayloadInvalid, Validate(token).Failure);
    }

    [Fact]
    public void Validate_PayloadWithInvalidUtf8_IsPayloadInvalid()
    {
        var bytes = Encoding.UTF8.GetBytes(Payload(",\"x\":\"AB\"")).ToList();
        var at = bytes.IndexOf((byte)'B');
        bytes[at] = 0xC3; // a lead byte followed by '"': truncated UTF-8
        var token = HandJwt.SignRaw($"{HandJwt.B64(HandJwt.Header)}.{HandJwt.B64([.. bytes])}");

        Assert.Equal(TokenFailure.PayloadInvalid, Validate(token).Failure);
    }

    [Fact]
    public void Validate_HeaderWithInvalidUtf8_IsHeaderInvalid()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"alg":"HS256","kid":"AB"}""");
        bytes[Array.IndexOf(bytes, (byte)'B')] = 0xFF;
        var token = HandJwt.SignRaw($"{HandJwt.B64(bytes)}.{HandJwt.B64(Payload())}");

        Assert.Equal(TokenFailure.HeaderInvalid, Validate(token).Failure);
    }

    [Fact]
    public void Validate_PayloadNestedBeyondTheDepthLimit_IsPayloadInvalidWithoutThrowing()
    {
        var deep = new string('[', 200) + new string(']', 200);
        var token = HandJwt.Sign(Payload($$""","session":{"tools":{{deep}}}"""));

        Assert.Equal(TokenFailure.PayloadInvalid, Validate(token).Failure);
    }

    // ---- exp / nbf / iat -------------------------------------------------------------------------------------

    [Fact]
    public void Validate_NoExp_IsExpirationMissing()
    {
        Assert.Equal(TokenFailure.ExpirationMissing, Validate(HandJwt.Sign("""{"sub":"user-1"}""")).Failure);
    }

    [Theory]
    [InlineData("\"1767225900\"")]
    [InlineData("null")]
    [InlineData("true")]
    [InlineData("{}")]
    [InlineData("[1767225900]")]
    public void Validate_ExpNotANumber_IsClaimInvalid(string exp)
    {
        Assert.Equal(TokenFailure.ClaimInvalid, Validate(HandJwt.Sign($$"""{"exp":{{exp}}}""")).Failure);
    }

    [Fact]
    public void Validate_FractionalExp_IsAcceptedAndKeepsMilliseconds()
    {
        var result = Validate(HandJwt.Sign($$"""{"exp":{{NowS + 60}}.25}"""));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Now.AddSeconds(60.25), result.ExpiresAt);
    }

    [Fact]
    public void Validate_HugeOrNegativeExp_IsRefusedWithoutThrowing()
    {
        Assert.Equal(TokenFailure.LifetimeTooLong, Validate(HandJwt.Sign("""{"exp":1e300}""")).Failure);
        Assert.Equal(TokenFailure.LifetimeTooLong, Validate(HandJwt.Sign("""{"exp":99999999999999999999999}""")).Failure);
        Assert.Equal(TokenFailure.Expired, Validate(HandJwt.Sign("""{"exp":-1e300}""")).Failure);
        Assert.Equal(TokenFailure.ClaimInvalid, Validate(HandJwt.Sign("""{"exp":1e400}""")).Failure);
    }

    [Theory]
    [InlineData("nbf")]
    [InlineData("iat")]
    public void Validate_NbfOrIatNotANumber_IsClaimInvalid(string claim)
    {
        Assert.Equal(TokenFailure.ClaimInvalid, Validate(HandJwt.Sign(Payload($",\"{claim}\":\"{NowS}\""))).Failure);
    }

    [Theory]
    [InlineData(30_000, true)]
    [InlineData(30_001, false)]
    [InlineData(0, true)]
    [InlineData(-1, true)]
    public void Validate_ExpiryHonoursTheClockSkewToTheMillisecond(int msAfterExp, bool valid)
    {
        var token = HandJwt.Sign($$"""{"exp":{{NowS}}}""");

        var result = Validate(token, now: Now.AddMilliseconds(msAfterExp));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.Expired, result.Failure);
    }

    [Theory]
    [InlineData(30_000, true)]
    [InlineData(30_001, false)]
    [InlineData(-5_000, true)]
    public void Validate_NotBeforeHonoursTheClockSkew(int msBeforeNbf, bool valid)
    {
        var token = HandJwt.Sign(Payload($$""","nbf":{{NowS}}"""));

        var result = Validate(token, now: Now.AddMilliseconds(-msBeforeNbf));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.NotYetValid, result.Failure);
    }

    [Theory]
    [InlineData(630, true)]
    [InlineData(631, false)]
    [InlineData(86_400, false)]
    public void Validate_ExpFurtherFromNowThanMaxLifetimePlusSkew_IsLifetimeTooLong(int expIn, bool valid)
    {
        var result = Validate(HandJwt.Sign(Payload(expIn: expIn)));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.LifetimeTooLong, result.Failure);
    }

    [Theory]
    [InlineData(600, true)]
    [InlineData(601, false)]
    public void Validate_ExpFurtherFromIatThanMaxLifetime_IsLifetimeTooLongWithoutSkew(int expMinusIat, bool valid)
    {
        // exp is only 100 s from now: only the iat rule can refuse it.
        var iat = NowS + 100 - expMinusIat;
        var result = Validate(HandJwt.Sign(Payload($$""","iat":{{iat}}""", expIn: 100)));

        Assert.Equal(valid ? TokenFailure.None : TokenFailure.LifetimeTooLong, result.Failure);
    }

    // ---- iss / aud / sub -------------------------------------------------------------------------------------

    [Theory]
    [InlineData(",\"iss\":\"https://backend.example\"", "None")]
    [InlineData(",\"iss\":\"https://evil.example\"", "IssuerMismatch")]
    [InlineData(",\"iss\":\"HTTPS://BACKEND.EXAMPLE\"", "IssuerMismatch")]
    [InlineData("", "IssuerMismatch")]
    [InlineData(""","iss":42""", "ClaimInvalid")]
    public void Validate_ConfiguredIssuer_MustMatchExactly(string claim, string expected)
    {
        var result = Validate(HandJwt.Sign(Payload(claim)), Params(issuer: "https://backend.example"));

        Assert.Equal(Enum.Parse<TokenFailure>(expected), result.Failure);
    }

    [Fact]
    public void Validate_NoConfiguredIssuer_AcceptsAnyStringIssuer()
    {
        Assert.True(Validate(HandJwt.Sign(Payload(",\"iss\":\"anyone\""))).IsValid);
        Assert.Equal(TokenFailure.ClaimInvalid, Validate(HandJwt.Sign(Payload(""","iss":{}"""))).Failure);
    }

    [Theory]
    [InlineData(",\"aud\":\"voicebridge\"", "None")]
    [InlineData(""","aud":["other","voicebridge"]""", "None")]
    [InlineData(""","aud":["other"]""", "AudienceMismatch")]
    [InlineData(""","aud":[]""", "AudienceMismatch")]
    [InlineData(",\"aud\":\"voicebridge2\"", "AudienceMismatch")]
    [InlineData("", "AudienceMismatch")]
    [InlineData(""","aud":5""", "ClaimInvalid")]
    [InlineData(""","aud":["voicebridge",5]""", "ClaimInvalid")]
    [InlineData(""","aud":null""", "ClaimInvalid")]
    public void Validate_ConfiguredAudience_MustBeTheStringOrInTheArray(string claim, string expected)
    {
        var result = Validate(HandJwt.Sign(Payload(claim)), Params(audience: "voicebridge"));

        Assert.Equal(Enum.Parse<TokenFailure>(expected), result.Failure);
    }

    [Fact]
    public void Validate_NoConfiguredAudience_AcceptsAnyWellTypedAudience()
    {
        Assert.True(Validate(HandJwt.Sign(Payload(""","aud":["a","b"]"""))).IsValid);
    }

    [Theory]
    [InlineData(""","sub":42""")]
    [InlineData(",\"sub\":\"\"")]
    [InlineData(""","sub":null""")]
    [InlineData(""","sub":["a"]""")]
    public void Validate_SubNotANonEmptyString_IsClaimInvalid(string claim)
    {
        var result = Validate(HandJwt.Sign($$"""{"exp":{{NowS + 60}}{{claim}}}"""));

        Assert.Equal(TokenFailure.ClaimInvalid, result.Failure);
    }

    [Fact]
    public void Validate_NoSub_IsValidWithoutSubject()
    {
        var result = Validate(HandJwt.Sign($$"""{"exp":{{NowS + 60}}}"""));

        Assert.True(result.IsValid);
        Assert.Null(result.Subject);
    }

    // ---- session claim ---------------------------------------------------------------------------------------

    [Fact]
    public void Validate_SessionWithAllowedFields_IsValidAndReturnsTheClaim()
    {
        const string Session = """{"type":"realtime","instructions":"Be brief.","audio":{"output":{"voice":"marin"},"input":{"turn_detection":{"type":"semantic_vad"}}},"tools":[],"tool_choice":"auto"}""";

        var result = Validate(HandJwt.Sign(Payload($$""","session":{{Session}}""")));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Session, result.Session!.Value.GetRawText());
    }

    [Theory]
    [InlineData("""{"model":"gpt-realtime"}""", "model")]
    [InlineData("""{"instructions":"x","tracing":"auto"}""", "tracing")]
    [InlineData("""{"audio":{"input":{"format":{"type":"audio/pcmu"}}}}""", "audio.input.format")]
    [InlineData("""{"audio":{"output":{"speed":1.5}}}""", "audio.output.speed")]
    [InlineData("""{"audio":"x"}""", "audio")]
    public void Validate_SessionWithAFieldOutsideTokenMayUpdate_IsRefusedNamingIt(string session, string field)
    {
        var result = Validate(HandJwt.Sign(Payload($$""","session":{{session}}""")));

        Assert.Equal(TokenFailure.SessionFieldNotAllowed, result.Failure);
        Assert.Contains(field, result.Detail, StringComparison.Ordinal);
        Assert.Null(result.Session);
    }

    [Fact]
    public void Validate_SessionPolicyComesFromTheParameters()
    {
        var token = HandJwt.Sign(Payload(""","session":{"instructions":"x"}"""));

        Assert.True(Validate(token).IsValid);
        Assert.Equal(TokenFailure.SessionFieldNotAllowed, Validate(token, Params(mayUpdate: ["tools"])).Failure);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("\"instructions\"")]
    [InlineData("[]")]
    public void Validate_SessionNotAnObject_IsClaimInvalid(string session)
    {
        Assert.Equal(TokenFailure.ClaimInvalid, Validate(HandJwt.Sign(Payload($$""","session":{{session}}"""))).Failure);
    }

    [Fact]
    public void Validate_NullSession_IsValidWithoutClaim()
    {
        var result = Validate(HandJwt.Sign(Payload(""","session":null""")));

        Assert.True(result.IsValid);
        Assert.Null(result.Session);
    }

    // ---- hostile input -------------------------------------------------------------------------------------

    [Fact]
    public void Validate_TwentyThousandMutatedTokens_NeverThrowAndNeverPassChanged()
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
            var result = JwtHs256.Validate(mutated, parameters, Now);

            Assert.True(!result.IsValid || mutated == valid, $"a mutated token passed: {mutated}");
        }
    }

    [Fact]
    public void Validate_RandomGarbage_NeverThrows()
    {
        var random = new Random(7);
        for (var i = 0; i < 5_000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            var text = i % 2 == 0 ? Encoding.Latin1.GetString(bytes) : $"{HandJwt.B64(bytes)}.{HandJwt.B64(bytes[..(bytes.Length / 2)])}.{HandJwt.B64(bytes)}";

            Assert.False(JwtHs256.Validate(text, Params(), Now).IsValid);
        }
    }

    // ---- Create ---------------------------------------------------------------------------------------------

    [Fact]
    public void Create_WritesAStandardHeaderAndASignatureAnyLibraryVerifies()
    {
        var token = JwtHs256.Create(HandJwt.Key, new TokenClaims { ExpiresAt = Now.AddMinutes(5) });
        var parts = token.Split('.');

        Assert.Equal(3, parts.Length);
        Assert.DoesNotContain('=', token);
        Assert.Equal("""{"alg":"HS256","typ":"JWT"}""", HandJwt.Decode(parts[0]));
        Assert.Equal(HandJwt.SignRaw($"{parts[0]}.{parts[1]}"), token);
    }

    [Fact]
    public void Create_WritesEveryClaimAsNumericDatesAndStrings()
    {
        using var session = JsonDocument.Parse("""{"instructions":"Be brief."}""");
        var token = JwtHs256.Create(HandJwt.Key, new TokenClaims
        {
            ExpiresAt = Now.AddMinutes(5),
            IssuedAt = Now,
            NotBefore = Now,
            Subject = "user-\"7\"",
            Issuer = "https://backend.example",
            Audience = "voicebridge",
            Session = session.RootElement,
        });

        using var payload = JsonDocument.Parse(HandJwt.Decode(token.Split('.')[1]));
        var root = payload.RootElement;
        Assert.Equal(NowS + 300, root.GetProperty("exp").GetInt64());
        Assert.Equal(NowS, root.GetProperty("iat").GetInt64());
        Assert.Equal(NowS, root.GetProperty("nbf").GetInt64());
        Assert.Equal("user-\"7\"", root.GetProperty("sub").GetString());
        Assert.Equal("https://backend.example", root.GetProperty("iss").GetString());
        Assert.Equal("voicebridge", root.GetProperty("aud").GetString());
        Assert.Equal("Be brief.", root.GetProperty("session").GetProperty("instructions").GetString());
    }

    [Fact]
    public void Create_ThenValidate_RoundTrips()
    {
        using var session = JsonDocument.Parse("""{"audio":{"output":{"voice":"cedar"}}}""");
        var token = JwtHs256.Create(HandJwt.Key, new TokenClaims
        {
            ExpiresAt = Now.AddMinutes(10),
            IssuedAt = Now,
            Subject = "user-9",
            Issuer = "iss",
            Audience = "aud",
            Session = session.RootElement,
        });

        var result = Validate(token, Params(issuer: "iss", audience: "aud"));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("user-9", result.Subject);
        Assert.Equal("cedar", result.Session!.Value.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
    }

    [Fact]
    public void Create_KeyShorterThan32Bytes_Throws()
    {
        Assert.Throws<ArgumentException>(() => JwtHs256.Create(new byte[31], new TokenClaims { ExpiresAt = Now }));
        Assert.Throws<ArgumentException>(() => new TokenValidationParameters(new byte[31], TimeSpan.FromMinutes(1), TimeSpan.Zero, []));
    }

    [Fact]
    public void Create_SessionNotAnObject_Throws()
    {
        using var array = JsonDocument.Parse("[]");

        Assert.Throws<ArgumentException>(() => JwtHs256.Create(HandJwt.Key, new TokenClaims { ExpiresAt = Now, Session = array.RootElement }));
    }

    private static string ToStandard(string base64Url)
    {
        var s = base64Url.Replace('-', '+').Replace('_', '/');
        return s + new string('=', (4 - (s.Length % 4)) % 4);
    }

    /// <summary>The same base64url segment with its unused trailing bits set (decodes to the same bytes in lenient decoders).</summary>
    private static string NonCanonical(string segment)
    {
        Assert.NotEqual(0, segment.Length % 4);
        return segment[..^1] + NextCharSameBits(segment[^1]);
    }

    private static char NextCharSameBits(char c)
    {
        const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var index = Alphabet.IndexOf(c, StringComparison.Ordinal);
        Assert.Equal(0, index & 1);
        return Alphabet[index | 1];
    }
}
