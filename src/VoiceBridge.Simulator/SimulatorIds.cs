namespace VoiceBridge.Simulator;

/// <summary>Identifiers shaped like the real service's: a prefix and 21 random alphanumerics.</summary>
internal static class SimulatorIds
{
    private const int RandomLength = 21;
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static string NewEventId() => New("event_");

    public static string NewSessionId() => New("sess_");

    public static string NewConversationId() => New("conv_");

    public static string NewItemId() => New("item_");

    public static string NewResponseId() => New("resp_");

    public static string NewCallId() => New("call_");

    private static string New(string prefix) =>
        string.Create(prefix.Length + RandomLength, prefix, static (span, p) =>
        {
            p.AsSpan().CopyTo(span);
            Random.Shared.GetItems(Alphabet.AsSpan(), span[p.Length..]);
        });
}
