using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.Telephony;

/// <summary>
/// Twilio's request signature (<c>X-Twilio-Signature</c>): base64 of HMAC-SHA1, keyed with the account's auth token,
/// over the full URL Twilio requested, followed (for a form POST) by every form parameter sorted by name, each name
/// then value. Pure; the comparison takes the same time however much of the signature matches.
/// </summary>
internal static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        var data = new StringBuilder(url);
        if (form is not null)
        {
            foreach (var (key, value) in form.OrderBy(static p => p.Key, StringComparer.Ordinal))
            {
                data.Append(key).Append(value);
            }
        }

        // Twilio's scheme, not a choice of ours: HMAC-SHA1 is what X-Twilio-Signature carries.
#pragma warning disable CA5350
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }

    public static bool Verify(string authToken, string? signature, string url, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(Compute(authToken, url, form));
        var given = Encoding.UTF8.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
