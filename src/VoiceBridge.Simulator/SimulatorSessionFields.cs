using System.Text.Json;
using System.Text.Json.Nodes;

namespace VoiceBridge.Simulator;

/// <summary>
/// One field of a client <c>session</c> object checked and written into the session's JSON tree, as the service checks
/// it: the type it must have, the values it may take (voice, speed, modalities, audio formats), and turn detection
/// replaced as a whole with the service's defaults. Each returns the client error for a bad value, else null.
/// </summary>
internal static class SimulatorSessionFields
{
    public static SimulatorClientError? Set(JsonObject target, string name, JsonElement value)
    {
        target[name] = ToNode(value);
        return null;
    }

    public static SimulatorClientError? SetString(JsonObject target, string name, JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.String ? Set(target, name, value) : SimulatorClientError.InvalidType(path, "a string");

    public static SimulatorClientError? SetArray(JsonObject target, string name, JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Array ? Set(target, name, value) : SimulatorClientError.InvalidType(path, "an array");

    public static SimulatorClientError? SetObjectOrNull(JsonObject target, string name, JsonElement value, string path) =>
        value.ValueKind is JsonValueKind.Object or JsonValueKind.Null
            ? Set(target, name, value)
            : SimulatorClientError.InvalidType(path, "an object or null");

    public static SimulatorClientError? SetVoice(JsonObject target, JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.String || (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("id", out _))
            ? Set(target, "voice", value)
            : SimulatorClientError.InvalidType(path, "a voice name or an object with an id");

    public static SimulatorClientError? SetSpeed(JsonObject target, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Number || value.GetDouble() is < 0.25 or > 1.5)
        {
            return SimulatorClientError.InvalidValue(path, $"Invalid '{path}': expected a number between 0.25 and 1.5, but got {value}.");
        }

        return Set(target, "speed", value);
    }

    public static SimulatorClientError? SetModalities(JsonObject target, string name, JsonElement value, bool beta)
    {
        var path = $"session.{name}";
        if (value.ValueKind != JsonValueKind.Array)
        {
            return SimulatorClientError.InvalidType(path, "an array");
        }

        var values = value.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : null).ToList();
        var valid = values.Count > 0 && values.All(v => v is "audio" or "text") && values.Distinct().Count() == values.Count;
        if (!beta)
        {
            // GA: audio always carries its transcript, so exactly one value.
            valid &= values.Count == 1;
        }

        return valid
            ? Set(target, name, value)
            : SimulatorClientError.InvalidValue(path, $"Invalid value for '{path}': {value}. Supported values are: [\"audio\"] and [\"text\"].");
    }

    public static SimulatorClientError? SetGaFormat(JsonObject target, JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object
            || !value.TryGetProperty("type", out var type)
            || type.ValueKind != JsonValueKind.String)
        {
            return SimulatorClientError.InvalidType(path, "an object with a 'type'");
        }

        switch (type.GetString())
        {
            case "audio/pcm":
                if (value.TryGetProperty("rate", out var rate) && !(rate.ValueKind == JsonValueKind.Number && rate.GetDouble() == SimulatorAudio.SampleRate))
                {
                    return SimulatorClientError.InvalidValue($"{path}.rate", $"Invalid value: '{rate}'. Supported values are: 24000.");
                }

                target["format"] = new JsonObject { ["type"] = "audio/pcm", ["rate"] = SimulatorAudio.SampleRate };
                return null;
            case "audio/pcmu" or "audio/pcma":
                target["format"] = new JsonObject { ["type"] = type.GetString() };
                return null;
            default:
                return SimulatorClientError.InvalidValue(
                    $"{path}.type",
                    $"Invalid value: '{type.GetString()}'. Supported values are: 'audio/pcm', 'audio/pcmu', and 'audio/pcma'.");
        }
    }

    public static SimulatorClientError? SetBetaFormat(JsonObject target, string name, JsonElement value) =>
        value.ValueKind == JsonValueKind.String && value.GetString() is "pcm16" or "g711_ulaw" or "g711_alaw"
            ? Set(target, name, value)
            : SimulatorClientError.InvalidValue(
                $"session.{name}",
                $"Invalid value: '{value}'. Supported values are: 'pcm16', 'g711_ulaw', and 'g711_alaw'.");

    /// <summary>Replaces the turn detection as a whole, filling the service's defaults for fields left out.</summary>
    public static SimulatorClientError? SetTurnDetection(JsonObject target, JsonElement value, string path, bool beta)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            target["turn_detection"] = null;
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            return SimulatorClientError.InvalidType(path, "an object or null");
        }

        var type = value.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : "server_vad";
        JsonObject result;
        if (type == "server_vad")
        {
            var threshold = ReadNumber(value, "threshold", 0.5);
            if (threshold is < 0 or > 1)
            {
                return SimulatorClientError.InvalidValue($"{path}.threshold", $"Invalid '{path}.threshold': expected a number between 0 and 1.");
            }

            result = new JsonObject
            {
                ["type"] = "server_vad",
                ["threshold"] = threshold,
                ["prefix_padding_ms"] = (int)ReadNumber(value, "prefix_padding_ms", 300),
                ["silence_duration_ms"] = (int)ReadNumber(value, "silence_duration_ms", 500),
            };
            if (!beta)
            {
                result["idle_timeout_ms"] = value.TryGetProperty("idle_timeout_ms", out var idle) ? ToNode(idle) : null;
            }
        }
        else if (type == "semantic_vad")
        {
            var eagerness = value.TryGetProperty("eagerness", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : "auto";
            if (eagerness is not ("low" or "medium" or "high" or "auto"))
            {
                return SimulatorClientError.InvalidValue(
                    $"{path}.eagerness",
                    $"Invalid value: '{eagerness}'. Supported values are: 'low', 'medium', 'high', and 'auto'.");
            }

            result = new JsonObject { ["type"] = "semantic_vad", ["eagerness"] = eagerness };
        }
        else
        {
            return SimulatorClientError.InvalidValue(
                $"{path}.type",
                $"Invalid value: '{type}'. Supported values are: 'server_vad' and 'semantic_vad'.");
        }

        result["create_response"] = ReadBool(value, "create_response", true);
        result["interrupt_response"] = ReadBool(value, "interrupt_response", true);
        target["turn_detection"] = result;
        return null;
    }

    public static double ReadNumber(JsonElement obj, string name, double fallback) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : fallback;

    public static bool ReadBool(JsonElement obj, string name, bool fallback) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;

    public static JsonNode? ToNode(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ? null : JsonNode.Parse(value.GetRawText());
}
