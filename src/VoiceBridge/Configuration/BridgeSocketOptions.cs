namespace VoiceBridge.Configuration;

/// <summary>Socket-level limits shared by the browser side and the upstream side (section <c>VoiceBridge:WebSocket</c>).</summary>
internal sealed class BridgeSocketOptions
{
    public const string SectionName = "VoiceBridge:WebSocket";

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(20);

    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    public int QueueCapacity { get; set; } = 64;

    public TimeSpan SlowClientTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a close handshake may take before the socket is aborted (not in the contract table).</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Run Kestrel's connection continuations on the socket event thread instead of the thread pool (Kestrel's
    /// <c>UnsafePreferInlineScheduling</c>). Unset: on when <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>,
    /// as the Docker image sets it. Safe here because nothing on the bridge's I/O path blocks.
    /// </summary>
    public bool? InlineScheduling { get; set; }
}
