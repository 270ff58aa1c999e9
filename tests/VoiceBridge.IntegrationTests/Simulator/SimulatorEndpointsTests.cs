using System.Net;
using System.Net.WebSockets;

namespace VoiceBridge.IntegrationTests.Simulator;

public sealed class SimulatorEndpointsTests
{
    [Fact]
    public async Task PlainGet_WithoutUpgrade_Returns400()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        using var http = new HttpClient();

        using var response = await http.GetAsync(new UriBuilder(host.Endpoint) { Scheme = "http" }.Uri, cts.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task RequiredApiKey_MissingOrWrong_Rejects401BeforeUpgrade()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token, o => o.RequiredApiKey = "sk-test");

        using var missing = new ClientWebSocket();
        missing.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => missing.ConnectAsync(host.Url("?model=m"), cts.Token));
        using var wrong = new ClientWebSocket();
        wrong.Options.CollectHttpResponseDetails = true;
        wrong.Options.SetRequestHeader("Authorization", "Bearer sk-wrong");
        await Assert.ThrowsAsync<WebSocketException>(() => wrong.ConnectAsync(host.Url("?model=m"), cts.Token));

        Assert.Equal(HttpStatusCode.Unauthorized, missing.HttpStatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.HttpStatusCode);
    }

    [Theory]
    [InlineData("Authorization", "Bearer sk-test")]
    [InlineData("api-key", "sk-test")]
    public async Task RequiredApiKey_Presented_Connects(string header, string value)
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token, o => o.RequiredApiKey = "sk-test");

        await using var client = await host.ConnectAsync(cts.Token, configure: o => o.SetRequestHeader(header, value));
        var created = await client.ReceiveEventAsync(cts.Token);

        Assert.Equal("session.created", created.Type());
    }

    [Fact]
    public async Task OpenAIBetaHeader_OnGa_SendsBetaShapeDisabledAndCloses4000()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);
        await using var client = await host.ConnectAsync(cts.Token, configure: o => o.SetRequestHeader("OpenAI-Beta", "realtime=v1"));

        var events = await client.ReceiveUntilCloseAsync(cts.Token);

        var error = Assert.Single(events);
        Assert.Equal("beta_api_shape_disabled", error.Str("error.code"));
        Assert.Equal("The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.", error.Str("error.message"));
        Assert.Equal((WebSocketCloseStatus)4000, client.Socket.CloseStatus);
        Assert.Equal("invalid_request_error.beta_api_shape_disabled", client.Socket.CloseStatusDescription);
    }

    [Fact]
    public async Task Subprotocol_RealtimeOffered_IsSelectedAndKeyTokenNeverEchoed()
    {
        using var cts = TestTimeout.Source(10);
        await using var host = await SimulatorTestHost.StartAsync(cts.Token);

        await using var offered = await host.ConnectAsync(cts.Token, configure: o =>
        {
            o.AddSubProtocol("realtime");
            o.AddSubProtocol("openai-insecure-api-key.ek_secret");
        });
        await using var plain = await host.ConnectAsync(cts.Token);

        Assert.Equal("realtime", offered.Socket.SubProtocol);
        Assert.Null(plain.Socket.SubProtocol);
    }
}
