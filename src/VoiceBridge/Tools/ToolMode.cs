namespace VoiceBridge.Tools;

/// <summary><c>Tools:N:Mode</c>: who runs a function tool.</summary>
internal enum ToolMode
{
    /// <summary>The bridge runs it through its webhook; the browser never sees it.</summary>
    Server,

    /// <summary>The browser runs it, as any tool a client declares.</summary>
    Client,
}
