namespace VoiceBridge.Sessions;

/// <summary>
/// Told when a resume token starts or stops being valid, by its key (the hex SHA-256 of the token, never the token), so
/// that another node can find which node holds its session (<see cref="Cluster.FleetResumeDirectory"/>). Called under
/// a session's locks: an implementation only records and returns, it never waits.
/// </summary>
internal interface IResumeTokenListener
{
    void Issued(string key, string sessionId);

    void Spent(string key);
}
