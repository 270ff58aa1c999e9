namespace VoiceBridge.Cluster;

/// <summary>Log lines of the resume relay and its directory (event ids 120–125). Never a token, a credential or the secret.</summary>
internal static partial class RelayLog
{
    [LoggerMessage(120, LogLevel.Information, "Resume from {ClientAddress} relayed to node {OwnerNode}, which holds the session")]
    public static partial void Relaying(ILogger logger, string clientAddress, string ownerNode);

    [LoggerMessage(121, LogLevel.Information, "Resume relay from {ClientAddress} to node {OwnerNode} ended ({Ending}): {FramesToOwner} frames to the owner, {FramesToBrowser} to the browser")]
    public static partial void Relayed(ILogger logger, string clientAddress, string ownerNode, string ending, long framesToOwner, long framesToBrowser);

    [LoggerMessage(122, LogLevel.Warning, "Could not relay a resume from {ClientAddress} to node {OwnerNode} ({Failure}); answered 404 resume_not_found")]
    public static partial void RelayFailed(ILogger logger, string clientAddress, string ownerNode, string failure);

    [LoggerMessage(123, LogLevel.Warning, "Refused an internal resume request from {RemoteAddress}: {Reason}")]
    public static partial void InternalRefused(ILogger logger, string remoteAddress, string reason);

    [LoggerMessage(124, LogLevel.Warning, "Fleet: node {NodeId} could not update its resume directory in Redis ({Failure}); other nodes cannot relay resumes to it until Redis answers (resumes on this node are unaffected)")]
    public static partial void DirectoryWriteFailed(ILogger logger, string nodeId, string failure);

    [LoggerMessage(125, LogLevel.Debug, "Fleet: node {NodeId} registered the hashes of its {Tokens} resume tokens in Redis")]
    public static partial void DirectoryResynced(ILogger logger, string nodeId, int tokens);
}
