namespace VoiceBridge.Simulator;

/// <summary>What the upgrade request selected: the model (or Azure deployment) and the protocol dialect.</summary>
internal sealed record SimulatorConnection(string Model, SimulatorDialect Dialect);
