namespace VoiceBridge.Simulator;

/// <summary>An <c>error</c> event the session owes the client; a value, not an exception (the session stays open).</summary>
internal sealed record SimulatorClientError(string Code, string Message, string? Param = null, string Type = "invalid_request_error")
{
    public static SimulatorClientError UnknownParameter(string param) =>
        new("unknown_parameter", $"Unknown parameter: '{param}'.", param);

    public static SimulatorClientError MissingParameter(string param) =>
        new("missing_required_parameter", $"Missing required parameter: '{param}'.", param);

    public static SimulatorClientError InvalidValue(string param, string message) =>
        new("invalid_value", message, param);

    public static SimulatorClientError InvalidType(string param, string expected) =>
        new("invalid_type", $"Invalid type for '{param}': expected {expected}.", param);
}
