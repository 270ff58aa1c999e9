namespace VoiceBridge.Realtime;

/// <summary>Why the upstream handshake failed, as the contract's error codes see it.</summary>
internal enum UpstreamFailure
{
    /// <summary>401/403: the key was rejected. Never retried.</summary>
    AuthRejected,

    /// <summary>429, retried with backoff.</summary>
    RateLimited,

    /// <summary>Network error, timeout, 5xx (retried) or another unexpected status (not retried).</summary>
    Unavailable,
}
