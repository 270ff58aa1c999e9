namespace VoiceBridge.Tools;

/// <summary>One finished server tool call as the admin API's session account shows it (never arguments or results).</summary>
internal sealed record ToolCallRecord(string Name, string CallId, string Outcome, double DurationMs);
