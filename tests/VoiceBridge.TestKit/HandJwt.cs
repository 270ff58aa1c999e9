using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace VoiceBridge.TestKit;

/// <summary>
/// Builds tokens the way any JWT library does, without the bridge's code: JSON text, base64url by hand from
/// <see cref="Convert.ToBase64String(byte[])"/>, HMAC-SHA256 from <see cref="HMACSHA256"/>. Independent of the bridge's
/// token library, so a test can craft hostile tokens (wrong alg, duplicate members, crit) the library would not write.
/// </summary>
public static class HandJwt
{
    public const string Header = """{"alg":"HS256","typ":"JWT"}""";

    /// <summary>A fixed 32-byte key ("0123456789abcdef0123456789abcdef").</summary>
    public static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");

    public static string KeyBase64 => Convert.ToBase64String(Key);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>HMAC-SHA256 unless <paramref name="hash"/> says otherwise (whatever the header claims).</summary>
    public static string Sign(string payloadJson, string headerJson = Header, byte[]? key = null, HashAlgorithmName? hash = null) =>
        SignRaw($"{B64(headerJson)}.{B64(payloadJson)}", key, hash);

    /// <summary>Appends the HMAC of exactly these characters, whatever they are.</summary>
    public static string SignRaw(string signingInput, byte[]? key = null, HashAlgorithmName? hash = null)
    {
        var input = Encoding.ASCII.GetBytes(signingInput);
        var k = key ?? Key;
        var mac = (hash ?? HashAlgorithmName.SHA256).Name switch
        {
            "SHA384" => HMACSHA384.HashData(k, input),
            "SHA512" => HMACSHA512.HashData(k, input),
            _ => HMACSHA256.HashData(k, input),
        };
        return $"{signingInput}.{B64(mac)}";
    }

    /// <summary>A payload with <c>iat</c> now, <c>exp</c>, and <c>sub</c> and <c>session</c> (raw JSON) when given.</summary>
    public static string Claims(DateTimeOffset expiresAt, string? subject = null, string? sessionJson = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var sub = subject is null ? "" : $",\"sub\":{JsonSerializer.Serialize(subject)}";
        var session = sessionJson is null ? "" : $",\"session\":{sessionJson}";
        return $"{{\"iat\":{now},\"exp\":{expiresAt.ToUnixTimeSeconds()}{sub}{session}}}";
    }

    public static string Decode(string segment)
    {
        var s = segment.Replace('-', '+').Replace('_', '/');
        s += new string('=', (4 - (s.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(s));
    }
}
