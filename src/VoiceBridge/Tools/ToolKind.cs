namespace VoiceBridge.Tools;

/// <summary><c>Tools:N:Type</c>: a function the model calls, or a remote MCP server the Realtime service calls itself.</summary>
internal enum ToolKind
{
    Function,
    Mcp,
}
