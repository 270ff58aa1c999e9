using System.IO.Pipelines;
using System.Net.WebSockets;

namespace VoiceBridge.TestKit;

/// <summary>
/// Two real managed <see cref="WebSocket"/>s connected to each other in memory (one pipe per direction), so code that
/// owns a socket can be tested without Kestrel or a network. The <see cref="Server"/> end is what Kestrel accepts
/// (a browser's leg); the <see cref="Client"/> end masks its frames as a browser or the bridge's upstream socket does.
/// A test hands one end to the code under test and plays the peer on the other, and can make that peer misbehave:
/// vanish without a close frame (<see cref="Vanish"/>) or stop reading (<see cref="StopReading"/>).
/// </summary>
/// <example>
/// <code>
/// using var pair = WebSocketPair.Create();
/// var session = Run(browserSocket: pair.Server);
/// await pair.Client.SendAsync(frame, WebSocketMessageType.Binary, true, ct);
/// pair.Vanish(pair.Client); // the browser's tab is killed: no close frame
/// </code>
/// </example>
public sealed class WebSocketPair : IDisposable
{
    private readonly PipeDuplexStream _clientStream;
    private readonly PipeDuplexStream _serverStream;

    private WebSocketPair(PipeDuplexStream clientStream, PipeDuplexStream serverStream, WebSocket client, WebSocket server)
    {
        _clientStream = clientStream;
        _serverStream = serverStream;
        Client = client;
        Server = server;
    }

    /// <summary>The client end (<c>IsServer = false</c>).</summary>
    public WebSocket Client { get; }

    /// <summary>The server end (<c>IsServer = true</c>).</summary>
    public WebSocket Server { get; }

    /// <summary>Connects a new pair, both ends open.</summary>
    public static WebSocketPair Create(WebSocketPairOptions? options = null)
    {
        options ??= new WebSocketPairOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PauseWriterThreshold);
        var pipeOptions = new PipeOptions(
            pauseWriterThreshold: options.PauseWriterThreshold,
            resumeWriterThreshold: Math.Max(1, options.PauseWriterThreshold / 2),
            useSynchronizationContext: false);
        var toServer = new Pipe(pipeOptions);
        var toClient = new Pipe(pipeOptions);
        var clientStream = new PipeDuplexStream(toClient.Reader, toServer.Writer);
        var serverStream = new PipeDuplexStream(toServer.Reader, toClient.Writer);
        var client = WebSocket.CreateFromStream(clientStream, Copy(options.Client, isServer: false));
        var server = WebSocket.CreateFromStream(serverStream, Copy(options.Server, isServer: true));
        return new WebSocketPair(clientStream, serverStream, client, server);
    }

    /// <summary>
    /// <paramref name="end"/>'s transport goes away without a close frame, as a killed tab or a dropped TCP connection:
    /// the other end's receive sees the stream end (a <see cref="WebSocketException"/>,
    /// <see cref="WebSocketError.ConnectionClosedPrematurely"/>) and its sends fail. <paramref name="end"/> itself is aborted.
    /// </summary>
    public void Vanish(WebSocket end)
    {
        StreamOf(end).Vanish();
        end.Abort();
    }

    /// <summary>
    /// <paramref name="end"/>'s transport stops taking bytes, as a peer whose process or network stalls: whatever is
    /// already being read still arrives, then the other end's sends stop completing once
    /// <see cref="WebSocketPairOptions.PauseWriterThreshold"/> bytes are waiting. Pings go unanswered too.
    /// </summary>
    public void StopReading(WebSocket end) => StreamOf(end).StopReading();

    /// <summary>Undoes <see cref="StopReading"/>: the waiting bytes are read and blocked sends complete, in order.</summary>
    public void ResumeReading(WebSocket end) => StreamOf(end).ResumeReading();

    /// <summary>Disposes both ends (without a close handshake).</summary>
    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
        _clientStream.Dispose();
        _serverStream.Dispose();
    }

    private PipeDuplexStream StreamOf(WebSocket end) =>
        ReferenceEquals(end, Client) ? _clientStream
        : ReferenceEquals(end, Server) ? _serverStream
        : throw new ArgumentException("Not an end of this pair.", nameof(end));

    private static WebSocketCreationOptions Copy(WebSocketCreationOptions options, bool isServer) => new()
    {
        IsServer = isServer,
        SubProtocol = options.SubProtocol,
        KeepAliveInterval = options.KeepAliveInterval,
        KeepAliveTimeout = options.KeepAliveTimeout,
        DangerousDeflateOptions = options.DangerousDeflateOptions,
    };
}
