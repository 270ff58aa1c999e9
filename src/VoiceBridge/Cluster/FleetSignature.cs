using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.Cluster;

/// <summary>
/// What one node sends another (a pub/sub command, an internal request) carries <c>&lt;unix ms&gt;.&lt;mac&gt;</c>: the
/// base64url HMAC-SHA256, keyed with <c>Cluster:Secret</c>, over the timestamp, a purpose and the payload. Write access
/// to Redis alone then cannot end or steer a call, and a captured message stops working after <see cref="MaxAge"/>.
/// The purpose keeps a signature made for one use (an admin command) from being accepted for another (a resume hop).
/// </summary>
internal static class FleetSignature
{
    /// <summary>The contract's bound: older (or further in the future, for clocks that differ) is refused.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    public static string Sign(string secret, string purpose, DateTimeOffset at, ReadOnlySpan<byte> payload)
    {
        var ms = at.ToUnixTimeMilliseconds();
        return ms.ToString(CultureInfo.InvariantCulture) + "." + Base64Url(Mac(secret, purpose, ms, payload));
    }

    public static string Sign(string secret, string purpose, DateTimeOffset at, string payload) =>
        Sign(secret, purpose, at, Encoding.UTF8.GetBytes(payload));

    public static bool Verify(string secret, string purpose, string? signature, DateTimeOffset now, ReadOnlySpan<byte> payload)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var dot = signature.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !long.TryParse(signature.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            return false;
        }

        var age = now.ToUnixTimeMilliseconds() - ms;
        if (Math.Abs(age) > (long)MaxAge.TotalMilliseconds)
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Base64Url(Mac(secret, purpose, ms, payload)));
        var given = Encoding.ASCII.GetBytes(signature[(dot + 1)..]);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    public static bool Verify(string secret, string purpose, string? signature, DateTimeOffset now, string payload) =>
        Verify(secret, purpose, signature, now, Encoding.UTF8.GetBytes(payload));

    private static byte[] Mac(string secret, string purpose, long ms, ReadOnlySpan<byte> payload)
    {
        // "<ms>\n<purpose>\n" then the payload: the separators keep ("1", "2x") and ("12", "x") apart.
        var head = Encoding.UTF8.GetBytes(ms.ToString(CultureInfo.InvariantCulture) + "\n" + purpose + "\n");
        var data = ArrayPool<byte>.Shared.Rent(head.Length + payload.Length);
        try
        {
            head.CopyTo(data, 0);
            payload.CopyTo(data.AsSpan(head.Length));
            return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), data.AsSpan(0, head.Length + payload.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(data, clearArray: true);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
