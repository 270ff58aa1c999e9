using System.Text.Json;

namespace VoiceBridge.IntegrationTests.Simulator;

internal static class SimulatorEventExtensions
{
    public static string? Type(this JsonElement e) => e.GetProperty("type").GetString();

    public static string Str(this JsonElement e, string path)
    {
        var current = e;
        foreach (var name in path.Split('.'))
        {
            current = current.GetProperty(name);
        }

        return current.ValueKind == JsonValueKind.String ? current.GetString()! : current.GetRawText();
    }

    public static JsonElement At(this JsonElement e, string path)
    {
        var current = e;
        foreach (var name in path.Split('.'))
        {
            current = current.GetProperty(name);
        }

        return current;
    }
}
