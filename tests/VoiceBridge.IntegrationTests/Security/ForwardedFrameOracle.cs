using System.Net.WebSockets;
using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.IntegrationTests.Infrastructure;
using VoiceBridge.Sessions;

namespace VoiceBridge.IntegrationTests.Security;

/// <summary>
/// What may reach the realtime service from a browser, judged independently of the bridge's own reader with
/// <see cref="JsonDocument"/>: a JSON object with exactly one string <c>type</c>; with the default session policy,
/// no <c>session.update</c> or <c>response.create</c> field outside <c>Session:ClientMayUpdate</c> (plus the
/// response-only fields), and no system item in a <c>conversation.item.create</c> or in <c>response.input</c>.
/// </summary>
internal static class ForwardedFrameOracle
{
    private static readonly IReadOnlyList<string> SessionAllowed = RealtimeSessionOptions.DefaultClientMayUpdate;

    private static readonly IReadOnlyList<string> ResponseAllowed = [.. RealtimeSessionOptions.DefaultClientMayUpdate, .. SessionServices.ResponseOnlyFields];

    /// <summary>Null when the frame may be forwarded; otherwise what is wrong with it.</summary>
    public static string? Violation(RecordedFrame frame)
    {
        if (frame.Type != WebSocketMessageType.Text)
        {
            return $"a {frame.Type} frame";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(frame.Payload);
        }
        catch (JsonException e)
        {
            return "not JSON: " + e.Message;
        }

        using (document)
        {
            try
            {
                return Violation(document.RootElement);
            }
            catch (InvalidOperationException e)
            {
                // A name the policy should have judged could not be decoded (an escaped lone surrogate).
                return "undecodable text where the policy looks: " + e.Message;
            }
        }
    }

    private static string? Violation(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return $"a JSON {root.ValueKind}, not an object";
        }

        var types = root.EnumerateObject().Where(p => p.NameEquals("type")).ToList();
        if (types.Count != 1 || types[0].Value.ValueKind != JsonValueKind.String)
        {
            return $"{types.Count} type members (a string type is required, exactly once)";
        }

        var type = types[0].Value;
        var problems = new List<string>();
        if (type.ValueEquals("session.update"))
        {
            foreach (var session in Members(root, "session").Where(s => s.ValueKind == JsonValueKind.Object))
            {
                CollectLockedFields(session, string.Empty, SessionAllowed, problems);
            }
        }
        else if (type.ValueEquals("response.create"))
        {
            foreach (var response in Members(root, "response").Where(r => r.ValueKind == JsonValueKind.Object))
            {
                CollectLockedFields(response, string.Empty, ResponseAllowed, problems);
                foreach (var input in Members(response, "input").Where(i => i.ValueKind == JsonValueKind.Array))
                {
                    if (input.EnumerateArray().Any(IsSystemItem))
                    {
                        problems.Add("a system item in response.input");
                    }
                }
            }
        }
        else if (type.ValueEquals("conversation.item.create") && Members(root, "item").Any(IsSystemItem))
        {
            problems.Add("a system item");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    private static IEnumerable<JsonElement> Members(JsonElement obj, string name) =>
        obj.EnumerateObject().Where(p => p.NameEquals(name)).Select(p => p.Value);

    private static bool IsSystemItem(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && Members(item, "role").Any(role => role.ValueKind == JsonValueKind.String && role.ValueEquals("system"));

    // A listed path allows its whole subtree; an object on the way to a listed path is entered; anything else is locked.
    // session.type (response.type does not exist, but is harmless) always passes.
    private static void CollectLockedFields(JsonElement obj, string prefix, IReadOnlyList<string> allowed, List<string> problems)
    {
        foreach (var property in obj.EnumerateObject())
        {
            var path = prefix + property.Name;
            if (prefix.Length == 0 && property.Name == "type")
            {
                continue;
            }

            if (allowed.Any(a => path == a || path.StartsWith(a + ".", StringComparison.Ordinal)))
            {
                continue;
            }

            if (property.Value.ValueKind == JsonValueKind.Object && allowed.Any(a => a.StartsWith(path + ".", StringComparison.Ordinal)))
            {
                CollectLockedFields(property.Value, path + ".", allowed, problems);
                continue;
            }

            problems.Add("locked field " + path);
        }
    }
}
