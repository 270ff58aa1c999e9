using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using VoiceBridge.IntegrationTests.Infrastructure;

namespace VoiceBridge.IntegrationTests.Sessions;

/// <summary><c>WebSocket:InlineScheduling</c> reaches Kestrel's socket transport; unset, it follows the runtime's inline-completions switch.</summary>
public sealed class TransportSchedulingTests
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public async Task InlineScheduling_Set_IsKestrelsSocketScheduling(string value, bool expected)
    {
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Simulator",
            ["VoiceBridge:WebSocket:InlineScheduling"] = value,
        });
        _ = bridge.BaseUri; // starts the server

        Assert.Equal(expected, bridge.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }

    [Fact]
    public async Task InlineScheduling_Unset_FollowsDotnetSystemNetSocketsInlineCompletions()
    {
        await using var bridge = new BridgeApp(upstream: null, new Dictionary<string, string?>
        {
            ["VoiceBridge:Upstream:Provider"] = "Simulator",
            ["VoiceBridge:WebSocket:InlineScheduling"] = null,
        });
        _ = bridge.BaseUri;

        var inlineCompletions = Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1";
        Assert.Equal(inlineCompletions, bridge.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.UnsafePreferInlineScheduling);
    }
}
