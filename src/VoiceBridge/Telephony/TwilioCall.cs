namespace VoiceBridge.Telephony;

/// <summary>A phone call's media stream, as its verified <c>start</c> message named it. Neither id is a secret.</summary>
internal sealed record TwilioCall(string CallSid, string StreamSid)
{
    public const string BrowserChannel = Diagnostics.BridgeMetrics.ChannelBrowser;
    public const string TwilioChannel = Diagnostics.BridgeMetrics.ChannelTwilio;
}
