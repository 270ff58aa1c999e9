namespace VoiceBridge.Tools;

/// <summary>What a webhook answered: the outcome and, for <see cref="WebhookOutcome.Ok"/>, the body as text.</summary>
internal readonly record struct WebhookResponse(WebhookOutcome Outcome, string? Body, int StatusCode)
{
    public static string Label(WebhookOutcome outcome) => outcome switch
    {
        WebhookOutcome.Ok => "ok",
        WebhookOutcome.Timeout => "timeout",
        WebhookOutcome.TooLarge => "too_large",
        WebhookOutcome.Cancelled => "cancelled",
        _ => "failed",
    };
}
