using System.Net.WebSockets;

namespace VoiceBridge.TestKit;

/// <summary>How a <see cref="WebSocketPair"/> is built. Every setting has a default that suits most tests.</summary>
public sealed class WebSocketPairOptions
{
    /// <summary>The default <see cref="PauseWriterThreshold"/>: 64 KB, what an unread pipe holds before a writer waits.</summary>
    public const long DefaultPauseWriterThreshold = 64 * 1024;

    /// <summary>
    /// Bytes that may be in flight towards an end that is not reading before the other end's sends stop completing
    /// (the in-memory stand-in for a full TCP window). Writers resume once half of it has been read.
    /// </summary>
    public long PauseWriterThreshold { get; init; } = DefaultPauseWriterThreshold;

    /// <summary>
    /// How the client end is created (<see cref="WebSocketCreationOptions.IsServer"/> is forced to false). Keep-alive is
    /// off unless a test sets <see cref="WebSocketCreationOptions.KeepAliveInterval"/>: no ping a test did not ask for.
    /// </summary>
    public WebSocketCreationOptions Client { get; } = new() { KeepAliveInterval = TimeSpan.Zero };

    /// <summary>How the server end is created (<see cref="WebSocketCreationOptions.IsServer"/> is forced to true); keep-alive off by default.</summary>
    public WebSocketCreationOptions Server { get; } = new() { IsServer = true, KeepAliveInterval = TimeSpan.Zero };
}
