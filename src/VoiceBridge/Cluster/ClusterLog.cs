namespace VoiceBridge.Cluster;

/// <summary>The fleet's log lines: one per change of the Redis connection, never the configuration string or the secret.</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(110, LogLevel.Information, "Fleet: node {NodeId} connected to Redis at {RedisEndpoints}; fleet-wide limits apply")]
    public static partial void Connected(ILogger logger, string nodeId, string redisEndpoints);

    [LoggerMessage(111, LogLevel.Warning, "Fleet: node {NodeId} cannot reach Redis at {RedisEndpoints} ({Failure}); serving its calls and admitting new ones under its local limits until Redis is back")]
    public static partial void Disconnected(ILogger logger, string nodeId, string redisEndpoints, string failure);

    [LoggerMessage(112, LogLevel.Debug, "Fleet: node {NodeId} registered its {Sessions} sessions in Redis")]
    public static partial void Registered(ILogger logger, string nodeId, int sessions);

    [LoggerMessage(113, LogLevel.Information, "Fleet: node {NodeId} joins through Redis at {RedisEndpoints} (lease {LeaseTime}, fleet cap {MaxFleetSessions})")]
    public static partial void Joining(ILogger logger, string nodeId, string redisEndpoints, TimeSpan leaseTime, int maxFleetSessions);

    [LoggerMessage(114, LogLevel.Warning, "Fleet: node {NodeId} ignored a message on {Channel}: {Verdict}")]
    public static partial void MessageRefused(ILogger logger, string nodeId, string channel, FleetMessageVerdict verdict);

    [LoggerMessage(115, LogLevel.Debug, "Fleet: node {NodeId} routed admin {Action} on session {SessionId} to node {Owner}: {Status} in {ElapsedMs} ms")]
    public static partial void Routed(ILogger logger, string nodeId, string action, string sessionId, string owner, int status, long elapsedMs);

    [LoggerMessage(116, LogLevel.Warning, "Fleet: node {NodeId} could not reach node {Owner} for admin {Action} on session {SessionId}: {Why}")]
    public static partial void Unreachable(ILogger logger, string nodeId, string owner, string action, string sessionId, string why);

    [LoggerMessage(117, LogLevel.Warning, "Fleet: node {NodeId} failed admin {Action} on session {SessionId} for node {From}")]
    public static partial void CommandFailed(ILogger logger, Exception exception, string nodeId, string action, string sessionId, string from);
}
