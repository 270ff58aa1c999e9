namespace VoiceBridge.Diagnostics;

/// <summary>The <c>direction</c> label of the frame metrics.</summary>
internal enum FrameDirection : byte
{
    /// <summary>Browser to upstream (<c>direction="inbound"</c>).</summary>
    Inbound,

    /// <summary>Upstream to browser (<c>direction="outbound"</c>).</summary>
    Outbound,
}
