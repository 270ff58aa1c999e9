namespace VoiceBridge.Telephony;

/// <summary>The URLs Twilio requests, built from <see cref="TwilioOptions.PublicUrl"/>: what signatures are computed over.</summary>
internal static class TwilioUrls
{
    public const string VoicePath = "/twilio/voice";
    public const string MediaPath = "/twilio/media";

    /// <summary>The URL Twilio requested, as it named it: the public base, then the path and query this request arrived with.</summary>
    public static string Requested(string publicUrl, HttpRequest request, bool webSocket) =>
        Base(publicUrl, webSocket) + request.Path.Value + request.QueryString.Value;

    /// <summary>The media stream's URL handed to Twilio in the TwiML.</summary>
    public static string Stream(string publicUrl) => Base(publicUrl, webSocket: true) + MediaPath;

    private static string Base(string publicUrl, bool webSocket)
    {
        var trimmed = publicUrl.TrimEnd('/');
        if (!webSocket)
        {
            return trimmed;
        }

        return trimmed.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + trimmed["https://".Length..]
            : trimmed.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + trimmed["http://".Length..]
            : trimmed;
    }
}
