using System.Net.WebSockets;

namespace VoiceBridge.Simulator;

/// <summary>
/// One item for a session's send loop: a JSON text message (pooled, owned by whoever holds the frame)
/// or the close that ends the stream. The close travels through the same queue so it follows the last event.
/// </summary>
internal readonly record struct SimulatorFrame(PooledBufferWriter? Text, WebSocketCloseStatus CloseStatus, string? CloseReason)
{
    public bool IsClose => Text is null;

    public static SimulatorFrame Message(PooledBufferWriter text) => new(text, default, null);

    public static SimulatorFrame Close(WebSocketCloseStatus status, string reason) => new(null, status, reason);
}
