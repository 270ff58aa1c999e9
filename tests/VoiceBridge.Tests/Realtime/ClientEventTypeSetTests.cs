using System.Text;
using VoiceBridge.Realtime;

namespace VoiceBridge.Tests.Realtime;

public class ClientEventTypeSetTests
{
    private static bool Contains(ClientEventTypeSet set, string json)
    {
        var frame = Encoding.UTF8.GetBytes(json);
        return set.Contains(frame, ClientEventInspector.Inspect(frame));
    }

    [Theory]
    [InlineData("{\"type\":\"response.create\"}", true)]
    [InlineData("{\"type\":\"response\\u002ecreate\"}", true)]
    [InlineData("{\"type\":\"\\u0072\\u0065\\u0073\\u0070\\u006f\\u006e\\u0073\\u0065\\u002e\\u0063\\u0072\\u0065\\u0061\\u0074\\u0065\"}", true)]
    [InlineData("{\"type\":\"input_audio_buffer.append\",\"audio\":\"\"}", true)]
    [InlineData("{\"type\":\"session.update\"}", false)]
    [InlineData("{\"type\":\"Response.create\"}", false)]
    [InlineData("{\"type\":\"response.create2\"}", false)]
    [InlineData("{\"type\":\"\"}", false)]
    [InlineData("{\"type\":\"\\ud800\"}", false)]
    [InlineData("{\"x\":{\"type\":\"response.create\"},\"type\":\"y\"}", false)]
    [InlineData("not json", false)]
    public void Contains_ListedTypesOnly_EscapesDecoded(string json, bool expected)
    {
        var set = ClientEventTypeSet.Create(["response.create", " input_audio_buffer.append ", ""]);

        Assert.False(set.AllowsAny);
        Assert.Equal(expected, Contains(set, json));
    }

    [Fact]
    public void Contains_LongEscapedType_ComparedWithoutStackOverflowOrFalseMatch()
    {
        var name = new string('a', 200);
        var set = ClientEventTypeSet.Create([name]);
        var escaped = string.Concat(Enumerable.Repeat("\\u0061", 200));

        Assert.True(Contains(set, "{\"type\":\"" + escaped + "\"}"));
        Assert.False(Contains(set, "{\"type\":\"" + escaped + "\\u0061\"}"));
        Assert.False(Contains(set, "{\"type\":\"" + string.Concat(Enumerable.Repeat("\\u0061", 5000)) + "\"}"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("session.update,*")]
    public void Create_WithStar_AllowsAnyValidEvent(string list)
    {
        var set = ClientEventTypeSet.Create(list.Split(','));

        Assert.True(set.AllowsAny);
        Assert.True(Contains(set, "{\"type\":\"anything\"}"));
        Assert.False(Contains(set, "{\"type\":1}"));
    }

    [Fact]
    public void Create_EmptyList_AllowsNothing()
    {
        var set = ClientEventTypeSet.Create([]);

        Assert.False(set.AllowsAny);
        Assert.False(Contains(set, "{\"type\":\"response.create\"}"));
    }
}
