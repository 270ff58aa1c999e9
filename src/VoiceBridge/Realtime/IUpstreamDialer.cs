using System.Net.WebSockets;

namespace VoiceBridge.Realtime;

/// <summary>Opens one upstream connection for a session; the seam that lets a session run over any socket (tests use in-memory pairs).</summary>
internal interface IUpstreamDialer
{
    /// <summary>Connects or throws <see cref="UpstreamConnectException"/> (or <see cref="OperationCanceledException"/> when the session ends first).</summary>
    Task<WebSocket> ConnectAsync(CancellationToken cancellationToken);
}
