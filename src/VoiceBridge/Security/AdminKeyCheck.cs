using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.Security;

/// <summary>Checks <c>Authorization: Bearer &lt;Admin:ApiKey&gt;</c> on a management request.</summary>
internal static class AdminKeyCheck
{
    public enum Outcome
    {
        Valid,
        Missing,
        Invalid,
    }

    private const string BearerScheme = "Bearer";

    public static Outcome Check(HttpRequest request, string configuredKey)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(configuredKey);
        var headers = request.Headers.Authorization;
        if (headers.Count == 0)
        {
            return Outcome.Missing;
        }

        if (headers.Count > 1)
        {
            return Outcome.Invalid;
        }

        var value = (headers[0] ?? string.Empty).AsSpan().Trim(" \t");
        if (value.Length <= BearerScheme.Length
            || !value.StartsWith(BearerScheme, StringComparison.OrdinalIgnoreCase)
            || value[BearerScheme.Length] is not (' ' or '\t'))
        {
            return Outcome.Invalid;
        }

        return KeysMatch(value[(BearerScheme.Length + 1)..].Trim(" \t"), configuredKey) ? Outcome.Valid : Outcome.Invalid;
    }

    /// <summary>
    /// Constant time, length included: both sides are hashed to 32 bytes first, then compared with
    /// <see cref="CryptographicOperations.FixedTimeEquals"/> (which returns early on a length mismatch).
    /// </summary>
    public static bool KeysMatch(ReadOnlySpan<char> presented, string configuredKey)
    {
        Span<byte> presentedHash = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> configuredHash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(presented.ToArray()), presentedHash);
        SHA256.HashData(Encoding.UTF8.GetBytes(configuredKey), configuredHash);
        return CryptographicOperations.FixedTimeEquals(presentedHash, configuredHash);
    }
}
