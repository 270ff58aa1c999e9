using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.Tests.Security;

/// <summary>
/// Builds tokens the way any JWT library does, without the bridge's code: JSON text, base64url by hand from
/// <see cref="Convert.ToBase64String(byte[])"/>, HMAC-SHA256 from <see cref="HMACSHA256"/>.
/// </summary>
internal static class HandJwt
{
    public const string Header = """{"alg":"HS256","typ":"JWT"}""";

    /// <summary>A fixed 32-byte key ("0123456789abcdef0123456789abcdef").</summary>
    public static readonly byte[] Key = Encoding.ASCII.GetBytes("0123456789abcdef0123456789abcdef");

    public static string KeyBase64 => Convert.ToBase64String(Key);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Sign(string payloadJson, string headerJson = Header, byte[]? key = null) =>
        SignRaw($"{B64(headerJson)}.{B64(payloadJson)}", key);

    /// <summary>Appends the HMAC of exactly these characters, whatever they are.</summary>
    public static string SignRaw(string signingInput, byte[]? key = null)
    {
        using var hmac = new HMACSHA256(key ?? Key);
        return $"{signingInput}.{B64(hmac.ComputeHash(Encoding.ASCII.GetBytes(signingInput)))}";
    }

    public static string Decode(string segment)
    {
        var s = segment.Replace('-', '+').Replace('_', '/');
        s += new string('=', (4 - (s.Length % 4)) % 4);
        return Encoding.UTF8.GetString(Convert.FromBase64String(s));
    }
}
