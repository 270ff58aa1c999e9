namespace VoiceBridge.Sessions;

/// <summary>What is known about a session before it starts: who, from where, and how it wants its audio.</summary>
/// <param name="TokenSessionUpdate">The token's <c>session</c> claim as a second <c>session.update</c>, or null.</param>
/// <param name="BridgeEvents">The browser asked for the bridge's own events (<c>?bridge_events=1</c>).</param>
internal sealed record SessionStart(string Id, string ClientAddress, string? Subject, bool BinaryAudio, byte[]? TokenSessionUpdate, bool BridgeEvents = false);
