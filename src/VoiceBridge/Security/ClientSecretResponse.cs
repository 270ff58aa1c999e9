using System.Text.Json;
using System.Text.Json.Serialization;

namespace VoiceBridge.Security;

/// <summary>OpenAI's client secret answer: <c>{"value":"&lt;token&gt;","expires_at":&lt;unix s&gt;,"session":{…}}</c>.</summary>
internal sealed record ClientSecretResponse(
    [property: JsonPropertyName("value")] string Value,
    [property: JsonPropertyName("expires_at")] long ExpiresAt,
    [property: JsonPropertyName("session"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Session)
{
    // A record prints its members; this one must not print the token.
    public override string ToString() => $"ClientSecretResponse expiring {ExpiresAt}";
}
