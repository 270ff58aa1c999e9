using System.Buffers;
using VoiceBridge.Sessions;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tools;

/// <summary>
/// Keeps the server's tools in the session whatever else sets <c>tools</c>: GA replaces the whole array, so a browser
/// <c>session.update</c> the policy lets through with <c>tools</c> (and a token's claim) gets the server's tools put in
/// front, and loses any tool named like one of them (<c>session_field_locked</c>).
/// </summary>
internal static class ToolPolicy
{
    /// <summary>
    /// Applied to the gate's verdict on a browser <c>session.update</c> (or, with <paramref name="container"/>
    /// <c>response</c>, on a <c>response.create</c>, whose <c>response.tools</c> replaces the session's for one
    /// response), after the field policy.
    /// </summary>
    public static GateVerdict KeepServerTools(GateVerdict verdict, ToolCatalog? catalog, string container = "session")
    {
        if (catalog is null || catalog.IsEmpty || verdict.Forward is not { } frame || frame.Payload.Span.IndexOf("tools"u8) < 0)
        {
            return verdict;
        }

        var merged = ToolSessionJson.MergeTools(frame.Payload.Span, catalog, out var refused, container);
        if (merged is null)
        {
            return verdict;
        }

        frame.Release();
        var buffer = ArrayPool<byte>.Shared.Rent(merged.Length);
        merged.CopyTo(buffer, 0);
        var forward = OutboundFrame.Rented(FrameKind.Text, buffer, merged.Length);
        if (refused.Count == 0)
        {
            return verdict with { Forward = forward };
        }

        var message = $"These tools are the server's and were removed: {string.Join(", ", refused.Take(10))}.";
        return verdict with
        {
            Forward = forward,
            Error = BridgeErrors.SessionFieldLocked,
            ErrorMessage = verdict.ErrorMessage is null ? message : verdict.ErrorMessage + " " + message,
        };
    }

    /// <summary>A token's <c>session.update</c> (built from its claim) with the server's tools in front of the claim's.</summary>
    public static byte[] KeepServerTools(byte[] tokenSessionUpdate, ToolCatalog? catalog) =>
        catalog is null ? tokenSessionUpdate : ToolSessionJson.MergeTools(tokenSessionUpdate, catalog, out _) ?? tokenSessionUpdate;
}
