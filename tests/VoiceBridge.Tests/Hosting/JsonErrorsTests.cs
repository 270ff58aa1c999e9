using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using VoiceBridge.Hosting;

namespace VoiceBridge.Tests.Hosting;

public sealed class JsonErrorsTests
{
    [Fact]
    public async Task Error_WritesTheStatusAndTheContractsBody()
    {
        var context = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddLogging().AddOptions().BuildServiceProvider(),
        };
        using var body = new MemoryStream();
        context.Response.Body = body;

        await JsonErrors.Error(StatusCodes.Status429TooManyRequests, "too_many_sessions", "Too many \"simultaneous\" sessions.").ExecuteAsync(context);

        Assert.Equal(429, context.Response.StatusCode);
        Assert.StartsWith("application/json", context.Response.ContentType, StringComparison.Ordinal);
        Assert.Equal("""{"error":{"code":"too_many_sessions","message":"Too many \"simultaneous\" sessions."}}""", Encoding.UTF8.GetString(body.ToArray()));
    }
}
