namespace VoiceBridge.Sessions;

/// <summary>What is known about a session before it starts: who, from where, and how it wants its audio.</summary>
/// <param name="TokenSessionUpdate">The token's <c>session</c> claim as a second <c>session.update</c>, or null.</param>
/// <param name="BridgeEvents">The browser asked for the bridge's own events (<c>?bridge_events=1</c>).</param>
/// <param name="Call">A phone call's stream: the client leg is a <see cref="Telephony.TwilioLeg"/> instead of a browser's.</param>
/// <param name="SessionUpdate">The server's first upstream frame for this channel, when not the browsers' one.</param>
internal sealed record SessionStart(
    string Id,
    string ClientAddress,
    string? Subject,
    bool BinaryAudio,
    byte[]? TokenSessionUpdate,
    bool BridgeEvents = false,
    Telephony.TwilioCall? Call = null,
    byte[]? SessionUpdate = null);
