using System.Text.Json;

namespace VoiceBridge.Admin;

/// <summary>An admin route's answer: its status and the object its JSON body is made of.</summary>
internal readonly record struct AdminOutcome(int Status, object Body)
{
    public IResult ToResult() => Results.Json(Body, statusCode: Status);

    /// <summary>The body as the route writes it (camelCase, the web defaults), for a reply to another node.</summary>
    public string BodyJson() => JsonSerializer.Serialize(Body, JsonSerializerOptions.Web);
}
