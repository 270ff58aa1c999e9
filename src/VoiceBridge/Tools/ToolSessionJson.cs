using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VoiceBridge.Tools;

/// <summary>
/// The <c>tools</c> array of session events, rewritten: the server's tools put into its own <c>session.update</c> and
/// in front of anyone else's (GA replaces the whole array, so a token or browser setting <c>tools</c> would otherwise
/// drop them), and the server-owned ones taken out of what the browser is shown. Rare events: a DOM is fine here.
/// </summary>
internal static class ToolSessionJson
{
    private static readonly JsonSerializerOptions WriteOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The server's <c>session.update</c> with every declared tool and <c>tool_choice: "auto"</c>.</summary>
    public static byte[] AddServerTools(byte[] sessionUpdate, ToolCatalog catalog)
    {
        if (catalog.IsEmpty)
        {
            return sessionUpdate;
        }

        var root = JsonNode.Parse(sessionUpdate)!.AsObject();
        var session = root["session"]!.AsObject();
        session["tools"] = JsonNode.Parse(catalog.ToolsArrayJson);
        session["tool_choice"] = "auto";
        return JsonSerializer.SerializeToUtf8Bytes(root, WriteOptions);
    }

    /// <summary>
    /// When <paramref name="frame"/> (a token's or browser's <c>session.update</c>) sets <c>session.tools</c>: the frame
    /// with the server's tools first, then those of the frame except any named like a declared tool (listed in
    /// <paramref name="refused"/>). Null when the frame sets no tools (or cannot be read): forward it as it is.
    /// <paramref name="container"/> is <c>response</c> for a <c>response.create</c>'s one-response override.
    /// </summary>
    public static byte[]? MergeTools(ReadOnlySpan<byte> frame, ToolCatalog catalog, out IReadOnlyList<string> refused, string container = "session")
    {
        refused = [];
        if (catalog.IsEmpty)
        {
            return null;
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(frame) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }

        if (root?[container] is not JsonObject session || !session.ContainsKey("tools"))
        {
            return null;
        }

        var merged = JsonNode.Parse(catalog.ToolsArrayJson)!.AsArray();
        var refusedNames = new List<string>();
        if (session["tools"] is JsonArray theirs)
        {
            foreach (var tool in theirs)
            {
                var name = NameOf(tool);
                if (catalog.IsDeclared(name))
                {
                    refusedNames.Add(name!);
                    continue;
                }

                merged.Add(tool?.DeepClone());
            }
        }

        session["tools"] = merged;
        refused = refusedNames;
        return JsonSerializer.SerializeToUtf8Bytes(root, WriteOptions);
    }

    /// <summary>
    /// A <c>session.created</c> / <c>session.updated</c> for the browser: server-owned tools removed from
    /// <c>session.tools</c>, and any MCP <c>authorization</c> left in it removed. Null when nothing had to change.
    /// </summary>
    public static byte[]? StripServerTools(ReadOnlySpan<byte> frame, ToolCatalog catalog)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(frame) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }

        if (root?["session"] is not JsonObject session || session["tools"] is not JsonArray tools)
        {
            return null;
        }

        var changed = false;
        for (var i = tools.Count - 1; i >= 0; i--)
        {
            if (tools[i] is not JsonObject tool)
            {
                continue;
            }

            if (IsMcp(tool) || catalog.IsServerName(NameOf(tool)))
            {
                // Every MCP server in the session is the server's (a browser cannot add one past the policy), and it
                // would carry its authorization.
                tools.RemoveAt(i);
                changed = true;
            }
        }

        return changed ? JsonSerializer.SerializeToUtf8Bytes(root, WriteOptions) : null;
    }

    private static bool IsMcp(JsonObject tool) => tool["type"] is JsonValue type && type.TryGetValue<string>(out var t) && t == "mcp";

    /// <summary>A function's <c>name</c>, or an MCP server's <c>server_label</c>.</summary>
    private static string? NameOf(JsonNode? tool)
    {
        if (tool is not JsonObject obj)
        {
            return null;
        }

        var node = IsMcp(obj) ? obj["server_label"] : obj["name"];
        return node is JsonValue value && value.TryGetValue<string>(out var name) ? name : null;
    }
}
