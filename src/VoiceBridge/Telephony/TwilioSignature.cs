using System.Security.Cryptography;
using System.Text;

namespace VoiceBridge.Telephony;

/// <summary>
/// Twilio's request signature (<c>X-Twilio-Signature</c>): base64 of HMAC-SHA1, keyed with the account's auth token,
/// over the full URL Twilio requested, followed (for a form POST) by the form parameters sorted by name, each name
/// then value (a repeated name: its distinct values sorted, each preceded by the name). The comparison takes the same
/// time however much of the signature matches.
/// </summary>
/// <remarks>
/// Kept here rather than taken from the <c>Twilio</c> package (8.2.0 restores), whose <c>RequestValidator</c> does the
/// same in as many lines but brings a 10 MB assembly, Newtonsoft.Json and four IdentityModel assemblies into the image
/// for one HMAC (README, "Phone calls"). The tests check this against that validator on the same inputs.
/// </remarks>
internal static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        var data = new StringBuilder(url);
        if (form is not null)
        {
            // As Twilio's own libraries sign: names in ordinal order; a repeated name once per distinct value, in order.
            foreach (var group in form.GroupBy(static p => p.Key, StringComparer.Ordinal).OrderBy(static g => g.Key, StringComparer.Ordinal))
            {
                foreach (var value in group.Select(static p => p.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
                {
                    data.Append(group.Key).Append(value);
                }
            }
        }

        // Twilio's scheme, not a choice of ours: HMAC-SHA1 is what X-Twilio-Signature carries.
#pragma warning disable CA5350
        var mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
#pragma warning restore CA5350
        return Convert.ToBase64String(mac);
    }

    /// <summary>
    /// True when <paramref name="signature"/> is Twilio's for <paramref name="url"/> as given, or with its default port
    /// written out or left out: Twilio signs the URL as configured in its console, which may differ from
    /// <c>PublicUrl</c> in just that (its own validators accept both for the same reason).
    /// </summary>
    public static bool Verify(string authToken, string? signature, string url, IEnumerable<KeyValuePair<string, string>>? form = null)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(signature);
        var fields = form?.ToList();
        var matched = false;
        foreach (var candidate in PortVariants(url))
        {
            // Every variant is computed and compared, so the time taken does not say which one matched.
            matched |= CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Compute(authToken, candidate, fields)), given);
        }

        return matched;
    }

    /// <summary><paramref name="url"/>, then, when its port is its scheme's default, the same URL with the port toggled (written out ↔ left out).</summary>
    internal static IEnumerable<string> PortVariants(string url)
    {
        yield return url;
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0)
        {
            yield break;
        }

        var defaultPort = url[..scheme].ToUpperInvariant() switch
        {
            "HTTPS" or "WSS" => ":443",
            "HTTP" or "WS" => ":80",
            _ => null,
        };
        var hostStart = scheme + 3;
        var hostEnd = url.IndexOfAny(['/', '?', '#'], hostStart);
        hostEnd = hostEnd < 0 ? url.Length : hostEnd;
        var authority = url[hostStart..hostEnd];
        if (defaultPort is null || authority.Length == 0)
        {
            yield break;
        }

        if (authority.EndsWith(defaultPort, StringComparison.Ordinal))
        {
            yield return url[..hostStart] + authority[..^defaultPort.Length] + url[hostEnd..];
        }
        else if (authority.EndsWith(']') || !authority.Contains(':', StringComparison.Ordinal))
        {
            // No port written (an IPv6 literal ends with its bracket): add the default one.
            yield return url[..hostStart] + authority + defaultPort + url[hostEnd..];
        }
    }
}
