using System.Net.WebSockets;

namespace VoiceBridge.Simulator;

/// <summary>
/// A local fake of the OpenAI Realtime service (protocol reference §9): sessions, server VAD, responses
/// that echo the caller's audio. Works on any <see cref="WebSocket"/>, so tests can wrap the socket.
/// </summary>
internal sealed class RealtimeSimulator
{
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RealtimeSimulator> _logger;
    private readonly SimulatorJournal? _journal;

    /// <param name="journal">When given, every session records the items its client creates (tests check replays with it).</param>
    public RealtimeSimulator(SimulatorOptions options, TimeProvider timeProvider, ILogger<RealtimeSimulator> logger, SimulatorJournal? journal = null)
    {
        _journal = journal;
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public SimulatorOptions Options { get; }

    /// <summary>
    /// Runs one realtime session on an already-accepted socket until the client closes, the session expires,
    /// or <paramref name="cancellationToken"/> is cancelled (then it closes with 1001). Never throws for peer
    /// misbehaviour or disconnects.
    /// </summary>
    public async Task RunSessionAsync(WebSocket socket, SimulatorConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(socket);
        ArgumentNullException.ThrowIfNull(connection);
        await using var session = new SimulatorSession(socket, connection, Options, _timeProvider, _logger, _journal);
        await session.RunAsync(cancellationToken);
    }
}
