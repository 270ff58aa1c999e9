using StandardWebhooks;

namespace VoiceBridge.Tools;

/// <summary>
/// Standard Webhooks signatures (the StandardWebhooks package): <c>webhook-signature: v1,&lt;base64 HMAC-SHA256 of
/// "id.timestamp.body"&gt;</c> with the secret's decoded bytes. Without a secret requests go unsigned.
/// </summary>
internal sealed class WebhookSigner
{
    private const string Prefix = "whsec_";
    private readonly StandardWebhook? _webhook;

    public WebhookSigner(string? secret)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            _webhook = new StandardWebhook(Convert.FromBase64String(secret[Prefix.Length..]));
        }
    }

    public bool IsSigning => _webhook is not null;

    public static bool IsValidSecret(string secret)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal) || secret.Length == Prefix.Length)
        {
            return false;
        }

        Span<byte> scratch = stackalloc byte[secret.Length];
        return Convert.TryFromBase64String(secret[Prefix.Length..], scratch, out var written) && written > 0;
    }

    /// <summary>The <c>webhook-signature</c> value, or null when unsigned.</summary>
    public string? Sign(string webhookId, DateTimeOffset timestamp, string body) => _webhook?.Sign(webhookId, timestamp, body);
}
