namespace VoiceBridge.Telephony;

/// <summary>Phone calls through Twilio Media Streams (section <c>VoiceBridge:Telephony:Twilio</c>); off unless enabled.</summary>
internal sealed class TwilioOptions
{
    public const string SectionName = "VoiceBridge:Telephony:Twilio";

    /// <summary>Serve <c>POST /twilio/voice</c> and <c>GET /twilio/media</c>.</summary>
    public bool Enabled { get; set; }

    /// <summary>The Twilio account's auth token: verifies <c>X-Twilio-Signature</c>. A secret: never logged.</summary>
    public string? AuthToken { get; set; }

    /// <summary>The bridge's public base URL as Twilio reaches it (<c>https://voice.example.com</c>).</summary>
    public string? PublicUrl { get; set; }

    /// <summary>When set, the assistant speaks first: a <c>response.create</c> with these instructions once the stream starts.</summary>
    public string? Greeting { get; set; }

    /// <summary>Phone calls' instructions; null = <c>Session:Instructions</c>.</summary>
    public string? Instructions { get; set; }

    /// <summary>Phone calls' voice; null = <c>Session:Voice</c>.</summary>
    public string? Voice { get; set; }
}
