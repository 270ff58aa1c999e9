using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using VoiceBridge.Realtime;
using VoiceBridge.Sessions;

namespace VoiceBridge.Tests.Sessions;

public class BridgeErrorsTests
{
    public static TheoryData<string, string, int?> Codes => new()
    {
        { BridgeErrors.InvalidEvent, "invalid_request_error", null },
        { BridgeErrors.InvalidAudioFrame, "invalid_request_error", null },
        { BridgeErrors.MessageTooBig, "invalid_request_error", 1009 },
        { BridgeErrors.UpstreamAuthFailed, "server_error", 1011 },
        { BridgeErrors.UpstreamRateLimited, "server_error", 1013 },
        { BridgeErrors.UpstreamUnavailable, "server_error", 1013 },
        { BridgeErrors.UpstreamDisconnected, "server_error", 1011 },
        { BridgeErrors.SlowConsumer, "invalid_request_error", 1008 },
        { BridgeErrors.ServerShuttingDown, "server_error", 1001 },
        { BridgeErrors.InternalError, "server_error", 1011 },
    };

    [Fact]
    public void Codes_MatchContractSpelling()
    {
        Assert.Equal(
            ["invalid_event", "invalid_audio_frame", "message_too_big", "upstream_auth_failed", "upstream_rate_limited",
             "upstream_unavailable", "upstream_disconnected", "slow_consumer", "server_shutting_down", "internal_error"],
            Codes.Select(row => (string)row[0]));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void Rent_EachCode_WritesContractShape(string code, string kind, int? closeCode)
    {
        _ = closeCode;
        var array = BridgeErrors.Rent(code, BridgeErrors.DefaultMessage(code), out var length);
        try
        {
            using var doc = JsonDocument.Parse(array.AsMemory(0, length));
            var root = doc.RootElement;
            Assert.Equal(["type", "event_id", "error"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal("error", root.GetProperty("type").GetString());
            Assert.Matches(new Regex("^event_[A-Za-z0-9]{21}$"), root.GetProperty("event_id").GetString());
            var error = root.GetProperty("error");
            Assert.Equal(["type", "code", "message"], error.EnumerateObject().Select(p => p.Name));
            Assert.Equal(kind, error.GetProperty("type").GetString());
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.Equal(BridgeErrors.DefaultMessage(code), error.GetProperty("message").GetString());
            Assert.True(RealtimeCodec.TryReadType(array.AsSpan(0, length), out var type));
            Assert.True(type.SequenceEqual(RealtimeEventTypes.Error));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    [Fact]
    public void Rent_MessageWithQuotesAndNewlines_IsEscapedAndRoundTrips()
    {
        const string message = "bad \"frame\"\nline 2 <script> é 🎤";
        var array = BridgeErrors.Rent(BridgeErrors.InvalidEvent, message, out var length);
        try
        {
            using var doc = JsonDocument.Parse(array.AsMemory(0, length));
            Assert.Equal(message, doc.RootElement.GetProperty("error").GetProperty("message").GetString());
            Assert.DoesNotContain((byte)'<', array.AsSpan(0, length).ToArray());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    [Fact]
    public void Rent_LongMessage_FitsAndLaterCallsStillWork()
    {
        var message = new string('m', 20_000);
        var big = BridgeErrors.Rent(BridgeErrors.InvalidEvent, message, out var bigLength);
        var small = BridgeErrors.Rent(BridgeErrors.SlowConsumer, "slow", out var smallLength);
        try
        {
            using var bigDoc = JsonDocument.Parse(big.AsMemory(0, bigLength));
            using var smallDoc = JsonDocument.Parse(small.AsMemory(0, smallLength));
            Assert.Equal(message, bigDoc.RootElement.GetProperty("error").GetProperty("message").GetString());
            Assert.Equal("slow_consumer", smallDoc.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(big);
            ArrayPool<byte>.Shared.Return(small);
        }
    }

    [Fact]
    public void Rent_MessageWithLoneSurrogate_StillWritesValidJson()
    {
        var array = BridgeErrors.Rent(BridgeErrors.InvalidEvent, "broken \uD800 text", out var length);
        try
        {
            using var doc = JsonDocument.Parse(array.AsMemory(0, length));
            Assert.StartsWith("broken ", doc.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    [Fact]
    public void Rent_TwoCalls_GetDifferentEventIds()
    {
        var a = BridgeErrors.Rent(BridgeErrors.InvalidEvent, "x", out var la);
        var b = BridgeErrors.Rent(BridgeErrors.InvalidEvent, "x", out var lb);
        try
        {
            using var da = JsonDocument.Parse(a.AsMemory(0, la));
            using var db = JsonDocument.Parse(b.AsMemory(0, lb));
            Assert.NotEqual(da.RootElement.GetProperty("event_id").GetString(), db.RootElement.GetProperty("event_id").GetString());
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(a);
            ArrayPool<byte>.Shared.Return(b);
        }
    }

    [Fact]
    public async Task Rent_ConcurrentCallers_EachGetTheirOwnEvent()
    {
        using var cts = TestTimeout.Source(30);
        var tasks = Enumerable.Range(0, 8).Select(i => Task.Run(() =>
        {
            for (var n = 0; n < 500; n++)
            {
                var message = $"worker {i} call {n}";
                var array = BridgeErrors.Rent(BridgeErrors.InvalidEvent, message, out var length);
                try
                {
                    using var doc = JsonDocument.Parse(array.AsMemory(0, length));
                    Assert.Equal(message, doc.RootElement.GetProperty("error").GetProperty("message").GetString());
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(array);
                }
            }
        }, cts.Token));
        await Task.WhenAll(tasks).WaitAsync(cts.Token);
    }

    [Theory]
    [InlineData("unknown_code")]
    [InlineData("")]
    [InlineData("INVALID_EVENT")]
    public void Rent_UnknownCode_Throws(string code)
    {
        Assert.Throws<ArgumentException>(() => BridgeErrors.Rent(code, "m", out _));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void CloseStatusFor_TerminalCodes_ContractCloseCode(string code, string kind, int? closeCode)
    {
        _ = kind;
        Assert.Equal(closeCode is not null, BridgeErrors.IsTerminal(code));
        if (closeCode is null)
        {
            Assert.Throws<ArgumentException>(() => BridgeErrors.CloseStatusFor(code));
        }
        else
        {
            Assert.Equal((WebSocketCloseStatus)closeCode.Value, BridgeErrors.CloseStatusFor(code));
        }
    }

    [Fact]
    public void CloseStatusFor_UnknownCode_Throws()
    {
        Assert.False(BridgeErrors.IsTerminal("nope"));
        Assert.Throws<ArgumentException>(() => BridgeErrors.CloseStatusFor("nope"));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void DefaultMessage_EachCode_ShortPlainText(string code, string kind, int? closeCode)
    {
        _ = (kind, closeCode);
        var message = BridgeErrors.DefaultMessage(code);
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.True(message.Length <= 120, message);
        Assert.DoesNotContain("http", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("key", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DefaultMessage_UnknownCode_Throws()
    {
        Assert.Throws<ArgumentException>(() => BridgeErrors.DefaultMessage("nope"));
    }
}
