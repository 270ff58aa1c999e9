namespace VoiceBridge.Simulator;

/// <summary>Which shape of the protocol a simulated session speaks.</summary>
internal enum SimulatorDialect
{
    /// <summary>The current interface: nested <c>session.audio</c>, <c>response.output_audio.*</c>, <c>conversation.item.added/done</c>.</summary>
    GA,

    /// <summary>Azure preview deployments: the flat beta session and the beta event names (<c>response.audio.delta</c>, <c>conversation.item.created</c>).</summary>
    Beta,
}
