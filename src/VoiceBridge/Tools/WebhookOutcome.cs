namespace VoiceBridge.Tools;

/// <summary>How one webhook delivery ended (the <c>outcome</c> label of <c>voicebridge_webhook_deliveries_total</c>).</summary>
internal enum WebhookOutcome
{
    /// <summary>A 2xx answer within the size cap.</summary>
    Ok,

    /// <summary><c>Webhooks:Timeout</c> ran out (retries included).</summary>
    Timeout,

    /// <summary>A non-2xx answer after the retries, a refused connection, an open circuit.</summary>
    Failed,

    /// <summary>A 2xx answer whose body is over <c>Webhooks:MaxResultBytes</c>.</summary>
    TooLarge,

    /// <summary>The session ended (or the host stopped) first.</summary>
    Cancelled,
}
