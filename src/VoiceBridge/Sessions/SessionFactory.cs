using System.Net.WebSockets;

namespace VoiceBridge.Sessions;

/// <summary>Creates sessions over the shared <see cref="SessionServices"/>.</summary>
internal sealed class SessionFactory
{
    private readonly SessionServices _services;
    private readonly ResumeTokens _resumeTokens;

    public SessionFactory(SessionServices services, ResumeTokens resumeTokens)
    {
        _services = services;
        _resumeTokens = resumeTokens;
    }

    public BridgeSession Create(WebSocket browser, SessionStart start, CancellationToken requestAborted)
    {
        var session = new BridgeSession(_services, start, browser, requestAborted);
        session.EnableResume(_resumeTokens);
        return session;
    }

    /// <summary>An opaque id for logs and the admin API; not a secret.</summary>
    public static string NewId()
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(19, 0, static (span, _) =>
        {
            "vb_".CopyTo(span);
            for (var i = 3; i < span.Length; i++)
            {
                span[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
            }
        });
    }
}
