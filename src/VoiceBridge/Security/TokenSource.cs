namespace VoiceBridge.Security;

/// <summary>Where an upgrade request carried its token, in order of precedence.</summary>
internal enum TokenSource
{
    /// <summary>No token was presented.</summary>
    None = 0,

    /// <summary><c>Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.&lt;token&gt;</c> (browsers, OpenAI SDKs).</summary>
    SubProtocol,

    /// <summary><c>Authorization: Bearer &lt;token&gt;</c> (servers and native clients).</summary>
    AuthorizationHeader,

    /// <summary><c>?access_token=&lt;token&gt;</c> (browsers that cannot set subprotocols).</summary>
    QueryString,
}
