namespace VoiceBridge.Security;

/// <summary>How <c>VoiceBridge:Auth:SigningKey</c> is written: standard base64 of at least 32 random bytes.</summary>
internal static class SigningKeyFormat
{
    /// <summary>RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).</summary>
    public const int MinimumBytes = 32;

    /// <summary>Decodes a configured key; false when it is not base64 or shorter than <see cref="MinimumBytes"/>.</summary>
    public static bool TryDecode(string? base64, out byte[] key)
    {
        key = [];
        if (string.IsNullOrWhiteSpace(base64))
        {
            return false;
        }

        var buffer = new byte[(base64.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(base64.Trim(), buffer, out var written) || written < MinimumBytes)
        {
            return false;
        }

        key = buffer[..written];
        return true;
    }
}
