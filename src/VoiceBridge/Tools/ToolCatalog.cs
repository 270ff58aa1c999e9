using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace VoiceBridge.Tools;

/// <summary>
/// <c>VoiceBridge:Tools</c>, read and validated once: the tools the server declares, the <c>tools</c> array they
/// become in the server's <c>session.update</c>, and which names belong to the server (hidden from the browser).
/// Read straight from configuration rather than bound: <c>Parameters</c> is free-form JSON Schema, either a nested
/// configuration object or a string holding the JSON.
/// </summary>
internal sealed partial class ToolCatalog
{
    public const string SectionName = "VoiceBridge:Tools";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // JSON Schema keywords whose values are numbers or booleans: configuration holds every value as a string.
    private static readonly HashSet<string> NumberKeywords = new(StringComparer.Ordinal)
    {
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
        "multipleOf", "minProperties", "maxProperties",
    };

    private static readonly HashSet<string> BooleanKeywords = new(StringComparer.Ordinal) { "additionalProperties", "uniqueItems", "strict" };

    private readonly Dictionary<string, ToolDefinition> _byName;

    public ToolCatalog(IEnumerable<ToolDefinition> tools)
    {
        Tools = [.. tools];
        _byName = Tools.ToDictionary(tool => tool.Name, StringComparer.Ordinal);
        ServerTools = [.. Tools.Where(tool => tool.IsServerOwned)];
        ToolsArrayJson = WriteToolsArray(Tools);
    }

    public static ToolCatalog Empty { get; } = new([]);

    public IReadOnlyList<ToolDefinition> Tools { get; }

    /// <summary>Server function tools and MCP tools: hidden from the browser.</summary>
    public IReadOnlyList<ToolDefinition> ServerTools { get; }

    public bool IsEmpty => Tools.Count == 0;

    public bool HasServerTools => ServerTools.Count > 0;

    /// <summary>The declared tools as the JSON array the server's <c>session.update</c> carries (MCP authorization included).</summary>
    public byte[] ToolsArrayJson { get; }

    public bool TryGet(string name, out ToolDefinition tool) => _byName.TryGetValue(name, out tool!);

    /// <summary>A function tool the bridge runs through its webhook.</summary>
    public bool IsServerFunction(string? name) => name is not null && _byName.TryGetValue(name, out var tool) && tool.Kind == ToolKind.Function && tool.Mode == ToolMode.Server;

    /// <summary>A name (function name or MCP server label) the server owns: others may not declare it.</summary>
    public bool IsServerName(string? name) => name is not null && _byName.TryGetValue(name, out var tool) && tool.IsServerOwned;

    /// <summary>A name the server declares at all (client tools included): a browser or token may not redeclare it.</summary>
    public bool IsDeclared(string? name) => name is not null && _byName.ContainsKey(name);

    /// <summary>Reads and validates the section; every problem is one line naming its key.</summary>
    /// <exception cref="OptionsValidationException">Anything is wrong.</exception>
    public static ToolCatalog Load(IConfiguration configuration, IHostEnvironment? environment = null)
    {
        if (environment is not null && DemoClockTool.IsEnabled(configuration, environment))
        {
            return new ToolCatalog([DemoClockTool.Definition]);
        }

        var failures = new List<string>();
        var tools = new List<ToolDefinition>();
        var section = configuration.GetSection(SectionName);
        foreach (var entry in section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            var key = $"{SectionName}:{entry.Key}";
            if (TryRead(entry, key, failures) is { } tool)
            {
                if (tools.Any(t => t.Name == tool.Name))
                {
                    failures.Add($"{key}:Name '{tool.Name}' is declared twice; tool names must be unique.");
                }
                else
                {
                    tools.Add(tool);
                }
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SectionName, typeof(ToolCatalog), failures);
        }

        return new ToolCatalog(tools);
    }

    public static bool IsHttpUrl(string? value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex NamePattern();

    private static ToolDefinition? TryRead(IConfigurationSection entry, string key, List<string> failures)
    {
        var before = failures.Count;
        var name = entry["Name"];
        if (string.IsNullOrEmpty(name) || !NamePattern().IsMatch(name))
        {
            failures.Add($"{key}:Name is required and must match ^[A-Za-z0-9_-]{{1,64}}$.");
        }

        var kind = ToolKind.Function;
        if (entry["Type"] is { Length: > 0 } typeText && !Enum.TryParse(typeText, ignoreCase: true, out kind))
        {
            failures.Add($"{key}:Type must be Function or Mcp.");
        }

        var mode = ToolMode.Server;
        if (entry["Mode"] is { Length: > 0 } modeText && !Enum.TryParse(modeText, ignoreCase: true, out mode))
        {
            failures.Add($"{key}:Mode must be Server or Client.");
        }

        Uri? url = null;
        Uri? serverUrl = null;
        string? authorization = null;
        List<string>? allowed = null;
        var parameters = "{\"type\":\"object\",\"properties\":{}}";
        if (kind == ToolKind.Function)
        {
            if (entry.GetSection("Parameters") is { } p && (p.Value is not null || p.GetChildren().Any()))
            {
                if (ReadParameters(p) is { } json)
                {
                    parameters = json;
                }
                else
                {
                    failures.Add($"{key}:Parameters must be a JSON object (a JSON Schema).");
                }
            }

            if (mode == ToolMode.Server)
            {
                if (!IsHttpUrl(entry["Url"]))
                {
                    failures.Add($"{key}:Url is required for a server tool and must be an absolute http:// or https:// URL.");
                }
                else
                {
                    url = new Uri(entry["Url"]!);
                }
            }
        }
        else
        {
            if (!IsHttpUrl(entry["ServerUrl"]))
            {
                failures.Add($"{key}:ServerUrl is required for an Mcp tool and must be an absolute http:// or https:// URL.");
            }
            else
            {
                serverUrl = new Uri(entry["ServerUrl"]!);
            }

            if (entry["RequireApproval"] is { Length: > 0 } approval && !string.Equals(approval, "never", StringComparison.OrdinalIgnoreCase))
            {
                // Approvals could only come from the browser, which must not steer a server tool.
                failures.Add($"{key}:RequireApproval may only be 'never'.");
            }

            if (string.Equals(entry["Mode"], "Client", StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{key}:Mode must be Server for an Mcp tool (the Realtime service calls it).");
            }

            authorization = string.IsNullOrEmpty(entry["Authorization"]) ? null : entry["Authorization"];
            var allowedSection = entry.GetSection("AllowedTools");
            if (allowedSection.GetChildren().Any())
            {
                allowed = [.. allowedSection.GetChildren().Select(c => c.Value).OfType<string>().Where(v => !string.IsNullOrWhiteSpace(v))];
            }
            else if (!string.IsNullOrWhiteSpace(allowedSection.Value))
            {
                allowed = [.. allowedSection.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            }
        }

        return failures.Count > before
            ? null
            : new ToolDefinition(name!, kind, kind == ToolKind.Mcp ? ToolMode.Server : mode, entry["Description"] ?? string.Empty, parameters, url, serverUrl, authorization, allowed);
    }

    /// <summary>The schema as compact JSON, or null when it is not a JSON object.</summary>
    private static string? ReadParameters(IConfigurationSection section)
    {
        JsonNode? node;
        if (section.Value is { } text && !section.GetChildren().Any())
        {
            try
            {
                node = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                return null;
            }
        }
        else
        {
            node = FromSection(section);
        }

        return node is JsonObject ? node.ToJsonString() : null;
    }

    private static JsonNode? FromSection(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            var value = section.Value;
            if (value is null)
            {
                return null;
            }

            if (NumberKeywords.Contains(section.Key) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                return JsonValue.Create(number);
            }

            if (BooleanKeywords.Contains(section.Key) && bool.TryParse(value, out var flag))
            {
                return JsonValue.Create(flag);
            }

            return JsonValue.Create(value);
        }

        // Configuration spells arrays as keys 0..n-1 (e.g. "required": ["order_id"] is Parameters:required:0).
        var indices = children.Select(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1).ToList();
        if (indices.All(i => i >= 0) && indices.Order().SequenceEqual(Enumerable.Range(0, children.Count)))
        {
            var array = new JsonArray();
            foreach (var child in children.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                array.Add(FromSection(child));
            }

            return array;
        }

        var obj = new JsonObject();
        foreach (var child in children)
        {
            obj[child.Key] = FromSection(child);
        }

        return obj;
    }

    private static byte[] WriteToolsArray(IReadOnlyList<ToolDefinition> tools)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartArray();
            foreach (var tool in tools)
            {
                WriteTool(writer, tool);
            }

            writer.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteTool(Utf8JsonWriter writer, ToolDefinition tool)
    {
        writer.WriteStartObject();
        if (tool.Kind == ToolKind.Function)
        {
            writer.WriteString("type"u8, "function"u8);
            writer.WriteString("name"u8, tool.Name);
            writer.WriteString("description"u8, tool.Description);
            writer.WritePropertyName("parameters"u8);
            writer.WriteRawValue(tool.ParametersJson, skipInputValidation: true);
        }
        else
        {
            writer.WriteString("type"u8, "mcp"u8);
            writer.WriteString("server_label"u8, tool.Name);
            writer.WriteString("server_url"u8, tool.ServerUrl!.ToString());
            if (tool.Authorization is not null)
            {
                writer.WriteString("authorization"u8, tool.Authorization);
            }

            if (tool.AllowedTools is { } allowed)
            {
                writer.WriteStartArray("allowed_tools"u8);
                foreach (var name in allowed)
                {
                    writer.WriteStringValue(name);
                }

                writer.WriteEndArray();
            }

            writer.WriteString("require_approval"u8, "never"u8);
        }

        writer.WriteEndObject();
    }
}
