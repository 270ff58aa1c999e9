using System.Text.Json;
using VoiceBridge.Configuration;
using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public sealed class TokenSessionClaimTests
{
    private static IReadOnlyList<string> Refused(string session, IReadOnlyList<string>? allowed = null)
    {
        using var document = JsonDocument.Parse(session);
        return TokenSessionClaim.FindDisallowed(document.RootElement, allowed ?? RealtimeSessionOptions.DefaultTokenMayUpdate);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"type":"realtime"}""")]
    [InlineData("""{"instructions":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"f"}}""")]
    [InlineData("""{"audio":{"output":{"voice":{"id":"voice_1"}}}}""")]
    [InlineData("""{"audio":{"input":{"turn_detection":null,"transcription":{"model":"whisper-1"}}}}""")]
    [InlineData("""{"audio":{}}""")]
    [InlineData("""{"audio":{"input":{}}}""")]
    public void FindDisallowed_OnlyAllowedPathsAndTheirSubtrees_RefusesNothing(string session)
    {
        Assert.Empty(Refused(session));
    }

    [Theory]
    [InlineData("""{"model":"gpt-realtime"}""", "model")]
    [InlineData("""{"audio":{"input":{"format":{"type":"audio/pcma"}}}}""", "audio.input.format")]
    [InlineData("""{"audio":{"output":{"voice":"x","speed":2}}}""", "audio.output.speed")]
    [InlineData("""{"audio":null}""", "audio")]
    [InlineData("""{"audio":{"input":"x"}}""", "audio.input")]
    [InlineData("""{"audio":[]}""", "audio")]
    [InlineData("""{"audio.output.voice":"marin"}""", "audio.output.voice")]
    [InlineData("""{"":1}""", "")]
    [InlineData("""{"audio":{"output":{"voice.x":"marin"}}}""", "audio.output.voice.x")]
    [InlineData("""{"instructionsX":"x"}""", "instructionsX")]
    [InlineData("""{"audio":{"type":"x"}}""", "audio.type")]
    public void FindDisallowed_FieldOutsideThePolicy_IsNamed(string session, string path)
    {
        Assert.Equal([path], Refused(session));
    }

    [Fact]
    public void FindDisallowed_ListsEveryRefusedFieldUpToTheCap()
    {
        Assert.Equal(["model", "tracing", "audio.input.format"], Refused("""{"model":1,"instructions":"x","tracing":null,"audio":{"input":{"format":1}}}"""));

        var many = "{" + string.Join(',', Enumerable.Range(0, 30).Select(i => $"\"f{i}\":1")) + "}";
        Assert.Equal(TokenSessionClaim.MaxReported, Refused(many).Count);
    }

    [Fact]
    public void FindDisallowed_AnEmptyPolicy_StillAllowsType()
    {
        Assert.Empty(Refused("""{"type":"realtime"}""", []));
        Assert.Equal(["instructions"], Refused("""{"type":"realtime","instructions":"x"}""", []));
    }

    [Fact]
    public void FindDisallowed_NotAnObject_Throws()
    {
        using var document = JsonDocument.Parse("[]");

        Assert.Throws<ArgumentException>(() => TokenSessionClaim.FindDisallowed(document.RootElement, []));
    }
}
