namespace VoiceBridge.Tools;

/// <summary>One validated entry of <c>VoiceBridge:Tools</c>.</summary>
/// <param name="ParametersJson">The JSON Schema of the arguments, as compact JSON (functions only).</param>
/// <param name="Authorization">MCP only, a secret: goes into the upstream session.update and nowhere else.</param>
/// <param name="AllowedTools">MCP only; null = every tool of the server.</param>
internal sealed record ToolDefinition(
    string Name,
    ToolKind Kind,
    ToolMode Mode,
    string Description,
    string ParametersJson,
    Uri? Url,
    Uri? ServerUrl,
    string? Authorization,
    IReadOnlyList<string>? AllowedTools)
{
    /// <summary>Run by the bridge (or the service, for MCP) and hidden from the browser.</summary>
    public bool IsServerOwned => Kind == ToolKind.Mcp || Mode == ToolMode.Server;

    /// <summary>Never prints the MCP authorization.</summary>
    public override string ToString() => $"{Kind} tool {Name} ({Mode})";
}
