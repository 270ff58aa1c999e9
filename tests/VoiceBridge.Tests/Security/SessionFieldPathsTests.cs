using VoiceBridge.Security;

namespace VoiceBridge.Tests.Security;

public class SessionFieldPathsTests
{
    [Theory]
    [InlineData("instructions", true)]
    [InlineData("audio.output.voice", true)]
    [InlineData("  audio.input  ", true)]
    [InlineData("", false)]
    [InlineData("   ", false)]
    [InlineData(null, false)]
    [InlineData("audio..voice", false)]
    [InlineData(".audio", false)]
    [InlineData("audio.", false)]
    [InlineData("audio. output", false)]
    public void IsValidPath_DottedNonEmptySegments(string? path, bool expected)
    {
        Assert.Equal(expected, SessionFieldPaths.IsValidPath(path));
    }

    [Fact]
    public void Split_TrimsTheWholePath()
    {
        Assert.Equal(["audio", "output", "voice"], SessionFieldPaths.Split(" audio.output.voice "));
    }

    [Fact]
    public void BetaToGa_CoversProtocolTable_AndInvertsExactly()
    {
        Assert.Equal("audio.output.voice", SessionFieldPaths.BetaToGa["voice"]);
        Assert.Equal("audio.input.turn_detection", SessionFieldPaths.BetaToGa["turn_detection"]);
        Assert.Equal("output_modalities", SessionFieldPaths.BetaToGa["modalities"]);
        Assert.Equal(9, SessionFieldPaths.BetaToGa.Count);
        Assert.All(SessionFieldPaths.BetaToGa, pair => Assert.Equal(pair.Key, SessionFieldPaths.GaToBeta[pair.Value]));
    }
}
