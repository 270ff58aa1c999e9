using System.Net;

namespace VoiceBridge.WebSockets;

/// <summary>A failed client opening handshake; <see cref="StatusCode"/> when the server answered with an HTTP status.</summary>
internal sealed class WebSocketHandshakeException : Exception
{
    public WebSocketHandshakeException(HttpStatusCode? statusCode, string message)
        : base(message)
    {
        StatusCode = statusCode;
    }

    public HttpStatusCode? StatusCode { get; }
}
