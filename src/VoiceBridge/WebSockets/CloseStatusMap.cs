using System.Globalization;
using System.Net.WebSockets;
using System.Text;

namespace VoiceBridge.WebSockets;

/// <summary>
/// What close status to send when relaying a peer's close (STYLE.md pattern 4). .NET refuses to
/// send codes below 1000, 1006 and 1015, and 1005 except as <see cref="WebSocketCloseStatus.Empty"/>
/// without a description; descriptions over 123 UTF-8 bytes are refused too. RFC 6455 reserves
/// 1004 and 1016–2999, and nothing is defined from 5000 on: a browser may fail the connection on
/// those, so they are not relayed either. And "no status" is never relayed as <see cref="WebSocketCloseStatus.Empty"/>:
/// .NET writes that as the code 1005 on the wire, which every conforming receiver (browsers, .NET itself) rejects as a
/// protocol error. .NET reports a peer's empty close frame as 1000, so 1000 is what "no status" becomes.
/// </summary>
internal static class CloseStatusMap
{
    /// <summary>RFC 6455 / IANA 1013 "Try Again Later"; <see cref="WebSocketCloseStatus"/> has no member for it.</summary>
    public const WebSocketCloseStatus TryAgainLater = (WebSocketCloseStatus)1013;

    /// <summary>The largest close reason a close frame can carry (125-byte control payload minus the 2-byte code).</summary>
    public const int MaxDescriptionBytes = 123;

    /// <summary>
    /// The upstream closed with (status, description): what to send the browser. Sendable codes
    /// pass through with their reason (truncated to 123 bytes); no status gives 1000 with no
    /// description; any other code becomes 1011 with a reason naming the original code.
    /// </summary>
    public static (WebSocketCloseStatus Status, string? Description) ForBrowser(
        WebSocketCloseStatus? upstreamStatus,
        string? upstreamDescription)
    {
        if (upstreamStatus is null or WebSocketCloseStatus.Empty)
        {
            return (WebSocketCloseStatus.NormalClosure, null);
        }

        var status = upstreamStatus.Value;
        if (IsRelayable(status))
        {
            return (status, TruncateDescription(upstreamDescription));
        }

        var reason = string.IsNullOrEmpty(upstreamDescription)
            ? string.Create(CultureInfo.InvariantCulture, $"upstream closed with code {(int)status}")
            : string.Create(CultureInfo.InvariantCulture, $"upstream closed with code {(int)status}: {upstreamDescription}");
        return (WebSocketCloseStatus.InternalServerError, TruncateDescription(reason));
    }

    /// <summary>
    /// The answering close to a browser that closed first: its own code and reason when sendable,
    /// otherwise (no status, or a code that may not be sent) 1000 with no description.
    /// </summary>
    public static (WebSocketCloseStatus Status, string? Description) EchoToBrowser(
        WebSocketCloseStatus? browserStatus,
        string? browserDescription)
    {
        if (browserStatus is null or WebSocketCloseStatus.Empty)
        {
            return (WebSocketCloseStatus.NormalClosure, null);
        }

        var status = browserStatus.Value;
        return IsRelayable(status)
            ? (status, TruncateDescription(browserDescription))
            : (WebSocketCloseStatus.NormalClosure, null);
    }

    /// <summary>
    /// At most <see cref="MaxDescriptionBytes"/> UTF-8 bytes, cut between whole characters (a
    /// surrogate pair is never split); <c>null</c> stays <c>null</c>.
    /// </summary>
    public static string? TruncateDescription(string? description)
    {
        if (description is null || Encoding.UTF8.GetByteCount(description) <= MaxDescriptionBytes)
        {
            return description;
        }

        var bytes = 0;
        var chars = 0;
        foreach (var rune in description.EnumerateRunes())
        {
            // A lone surrogate enumerates as U+FFFD (3 bytes, 1 char), as Encoding.UTF8 encodes it.
            if (bytes + rune.Utf8SequenceLength > MaxDescriptionBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            chars += rune.Utf16SequenceLength;
        }

        return description[..chars];
    }

    /// <summary>A code .NET will send and a browser will accept.</summary>
    public static bool IsRelayable(WebSocketCloseStatus status)
    {
        var code = (int)status;
        return code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);
    }
}
