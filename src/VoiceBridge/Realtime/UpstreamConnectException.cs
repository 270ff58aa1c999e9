using System.Net;

namespace VoiceBridge.Realtime;

/// <summary>A failed upstream handshake. The message never contains the URL's secrets or any header.</summary>
internal sealed class UpstreamConnectException : Exception
{
    public UpstreamConnectException(UpstreamFailure failure, HttpStatusCode? statusCode, bool retryable, string message, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        StatusCode = statusCode;
        Retryable = retryable;
    }

    public UpstreamFailure Failure { get; }

    public HttpStatusCode? StatusCode { get; }

    public bool Retryable { get; }

    /// <summary>Classifies a handshake's HTTP status (0 or null: no HTTP answer at all, a network error).</summary>
    public static UpstreamConnectException FromStatus(HttpStatusCode? status, Exception? inner)
    {
        var code = (int?)status ?? 0;
        return code switch
        {
            401 or 403 => new(UpstreamFailure.AuthRejected, status, retryable: false, $"upstream rejected the credentials (HTTP {code})", inner),
            429 => new(UpstreamFailure.RateLimited, status, retryable: true, "upstream rate-limited the connection (HTTP 429)", inner),
            >= 500 => new(UpstreamFailure.Unavailable, status, retryable: true, $"upstream answered HTTP {code}", inner),
            0 => new(UpstreamFailure.Unavailable, null, retryable: true, $"upstream unreachable: {inner?.GetBaseException().Message ?? "no response"}", inner),
            _ => new(UpstreamFailure.Unavailable, status, retryable: false, $"upstream refused the upgrade (HTTP {code})", inner),
        };
    }
}
