using System.Net.WebSockets;
using System.Text;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Tests.WebSockets;

public class CloseStatusMapTests
{
    public static TheoryData<int> PassThroughCodes => new()
    {
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4001, 4999,
    };

    public static TheoryData<int> MappedCodes => new()
    {
        0, 1, 999, 1004, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
    };

    [Theory]
    [MemberData(nameof(PassThroughCodes))]
    public void ForBrowser_SendableCode_PassesThroughWithReason(int code)
    {
        var (status, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)code, "reason text");
        Assert.Equal((WebSocketCloseStatus)code, status);
        Assert.Equal("reason text", description);
        Assert.True(CloseStatusMap.IsRelayable((WebSocketCloseStatus)code));
    }

    [Fact]
    public void ForBrowser_SessionExpired1001_KeepsReason()
    {
        var (status, description) = CloseStatusMap.ForBrowser(WebSocketCloseStatus.EndpointUnavailable, "Your session hit the maximum duration of 60 minutes.");
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Equal("Your session hit the maximum duration of 60 minutes.", description);
    }

    [Fact]
    public void ForBrowser_BetaRejection4000_KeepsReason()
    {
        var (status, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)4000, "invalid_request_error.beta_api_shape_disabled");
        Assert.Equal(4000, (int)status);
        Assert.Equal("invalid_request_error.beta_api_shape_disabled", description);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void ForBrowser_SendableCodeWithoutReason_KeepsNoReason(string? reason)
    {
        var (status, description) = CloseStatusMap.ForBrowser(WebSocketCloseStatus.NormalClosure, reason);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(reason, description);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("ignored")]
    public void ForBrowser_NoStatus_NormalClosureWithoutDescription(string? reason)
    {
        Assert.Equal((WebSocketCloseStatus.NormalClosure, (string?)null), CloseStatusMap.ForBrowser(null, reason));
        Assert.Equal((WebSocketCloseStatus.NormalClosure, (string?)null), CloseStatusMap.ForBrowser(WebSocketCloseStatus.Empty, reason));
    }

    [Theory]
    [MemberData(nameof(MappedCodes))]
    public void ForBrowser_UnsendableCode_Becomes1011NamingTheCode(int code)
    {
        var (status, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)code, null);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Equal($"upstream closed with code {code}", description);
        Assert.False(CloseStatusMap.IsRelayable((WebSocketCloseStatus)code));
    }

    [Fact]
    public void ForBrowser_UnsendableCodeWithReason_KeepsReasonAfterCode()
    {
        var (status, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)1006, "gone");
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Equal("upstream closed with code 1006: gone", description);
    }

    [Fact]
    public void ForBrowser_UnsendableCodeWithLongReason_Truncated()
    {
        var (_, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)2000, new string('x', 500));
        Assert.NotNull(description);
        Assert.Equal(123, Encoding.UTF8.GetByteCount(description));
        Assert.StartsWith("upstream closed with code 2000: xxx", description, StringComparison.Ordinal);
    }

    [Fact]
    public void ForBrowser_LongReason_TruncatedTo123Bytes()
    {
        var (_, description) = CloseStatusMap.ForBrowser(WebSocketCloseStatus.PolicyViolation, new string('a', 200));
        Assert.Equal(new string('a', 123), description);
    }

    [Theory]
    [MemberData(nameof(PassThroughCodes))]
    public void EchoToBrowser_SendableCode_Echoed(int code)
    {
        Assert.Equal(((WebSocketCloseStatus)code, (string?)"bye"), CloseStatusMap.EchoToBrowser((WebSocketCloseStatus)code, "bye"));
    }

    [Theory]
    [MemberData(nameof(MappedCodes))]
    public void EchoToBrowser_UnsendableCode_NormalClosure(int code)
    {
        Assert.Equal((WebSocketCloseStatus.NormalClosure, (string?)null), CloseStatusMap.EchoToBrowser((WebSocketCloseStatus)code, "bye"));
    }

    [Fact]
    public void EchoToBrowser_NoStatus_NormalClosureWithoutDescription()
    {
        Assert.Equal((WebSocketCloseStatus.NormalClosure, (string?)null), CloseStatusMap.EchoToBrowser(null, null));
        Assert.Equal((WebSocketCloseStatus.NormalClosure, (string?)null), CloseStatusMap.EchoToBrowser(WebSocketCloseStatus.Empty, "x"));
    }

    [Fact]
    public void EchoToBrowser_LongReason_Truncated()
    {
        var (status, description) = CloseStatusMap.EchoToBrowser((WebSocketCloseStatus)4001, new string('é', 100));
        Assert.Equal(4001, (int)status);
        Assert.Equal(new string('é', 61), description);
    }

    [Fact]
    public void TryAgainLater_Is1013()
    {
        Assert.Equal(1013, (int)CloseStatusMap.TryAgainLater);
    }

    // ---------------------------------------------------------------- TruncateDescription

    [Fact]
    public void TruncateDescription_Null_StaysNull()
    {
        Assert.Null(CloseStatusMap.TruncateDescription(null));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(122)]
    [InlineData(123)]
    public void TruncateDescription_AtMost123Bytes_Unchanged(int length)
    {
        var text = new string('a', length);
        Assert.Same(text, CloseStatusMap.TruncateDescription(text));
    }

    [Theory]
    [InlineData(124)]
    [InlineData(1000)]
    public void TruncateDescription_Ascii_CutAt123(int length)
    {
        Assert.Equal(new string('a', 123), CloseStatusMap.TruncateDescription(new string('a', length)));
    }

    [Theory]
    [InlineData(119, "🎤", 123)]  // emoji ends exactly at the limit: kept
    [InlineData(120, "🎤", 120)]  // emoji would straddle 120..124: dropped whole
    [InlineData(121, "🎤", 121)]
    [InlineData(122, "🎤", 122)]
    [InlineData(123, "🎤", 123)]
    [InlineData(121, "é", 123)]   // 2-byte char ending at the limit
    [InlineData(122, "é", 122)]   // 2-byte char straddling the limit
    [InlineData(120, "€", 123)]   // 3-byte char ending at the limit
    [InlineData(121, "€", 121)]
    [InlineData(122, "€", 122)]
    public void TruncateDescription_MultiByteAtLimit_CutsAtCharBoundary(int asciiPrefix, string wide, int expectedBytes)
    {
        var text = new string('a', asciiPrefix) + wide + "tail";

        var result = CloseStatusMap.TruncateDescription(text);

        Assert.NotNull(result);
        Assert.Equal(expectedBytes, Encoding.UTF8.GetByteCount(result));
        Assert.StartsWith(result, text, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', result);
        Assert.False(char.IsHighSurrogate(result[^1]));
    }

    [Fact]
    public void TruncateDescription_AllEmoji_WholeEmojisOnly()
    {
        var result = CloseStatusMap.TruncateDescription(string.Concat(Enumerable.Repeat("😀", 40)));
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 30)), result); // 30 × 4 = 120 bytes
    }

    [Fact]
    public void TruncateDescription_LoneSurrogate_CountedLikeUtf8Encoder()
    {
        var text = new string('a', 121) + "\uD800" + "bbbb";
        var result = CloseStatusMap.TruncateDescription(text);
        Assert.NotNull(result);
        Assert.True(Encoding.UTF8.GetByteCount(result) <= 123);
        Assert.Equal(new string('a', 121), result);
    }

    [Theory]
    [MemberData(nameof(PassThroughCodes))]
    public void ForBrowser_Results_AreAcceptedByWebSocketCloseValidation(int code)
    {
        // The real check: a server-side WebSocket over a stream accepts the mapped close.
        var (status, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)code, new string('x', 300));
        AssertSendable(status, description);
    }

    [Theory]
    [MemberData(nameof(MappedCodes))]
    public void ForBrowser_MappedResults_AreAcceptedByWebSocketCloseValidation(int code)
    {
        var (status, description) = CloseStatusMap.ForBrowser((WebSocketCloseStatus)code, string.Concat(Enumerable.Repeat("😀", 60)));
        AssertSendable(status, description);
    }

    [Fact]
    public void ForBrowser_NoStatus_IsAcceptedByAReceivingWebSocket()
    {
        var (status, description) = CloseStatusMap.ForBrowser(null, "x");
        AssertSendable(status, description);
    }

    private static void AssertSendable(WebSocketCloseStatus status, string? description)
    {
        // The real check is both ends: the sending socket accepts the close, and a receiving socket
        // (which validates the code on the wire as a browser does) reads back the same status and reason.
        byte[] wire;
        using (var stream = new MemoryStream())
        using (var server = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true }))
        {
            server.CloseOutputAsync(status, description, CancellationToken.None).GetAwaiter().GetResult();
            wire = stream.ToArray();
        }

        Assert.NotEmpty(wire);
        using var received = new MemoryStream(wire);
        using var client = WebSocket.CreateFromStream(received, new WebSocketCreationOptions { IsServer = false });
        var result = client.ReceiveAsync(new byte[16], CancellationToken.None).GetAwaiter().GetResult();
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(status, client.CloseStatus);
        Assert.Equal(description ?? string.Empty, client.CloseStatusDescription ?? string.Empty);
    }
}
