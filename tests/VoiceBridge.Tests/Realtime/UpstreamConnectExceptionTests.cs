using System.Net;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public sealed class UpstreamConnectExceptionTests
{
    [Theory]
    [InlineData(401, "AuthRejected", false)]
    [InlineData(403, "AuthRejected", false)]
    [InlineData(429, "RateLimited", true)]
    [InlineData(500, "Unavailable", true)]
    [InlineData(502, "Unavailable", true)]
    [InlineData(503, "Unavailable", true)]
    [InlineData(404, "Unavailable", false)]
    [InlineData(400, "Unavailable", false)]
    public void FromStatus_ClassifiesAndDecidesRetry(int status, string failure, bool retryable)
    {
        var exception = UpstreamConnectException.FromStatus((HttpStatusCode)status, null);

        Assert.Equal(Enum.Parse<UpstreamFailure>(failure), exception.Failure);
        Assert.Equal(retryable, exception.Retryable);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromStatus_NoHttpAnswer_IsARetryableNetworkFailure()
    {
        var exception = UpstreamConnectException.FromStatus(null, new System.Net.Sockets.SocketException(111));

        Assert.Equal(UpstreamFailure.Unavailable, exception.Failure);
        Assert.True(exception.Retryable);
        Assert.Null(exception.StatusCode);
    }
}
