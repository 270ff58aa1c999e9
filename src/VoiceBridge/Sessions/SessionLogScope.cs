using System.Collections;

namespace VoiceBridge.Sessions;

/// <summary>
/// The logging scope of one session: the single property <c>SessionId</c>. Held for the session's whole life, so
/// one small object instead of a dictionary and its buckets and entries (the heap census in bench/README.md).
/// </summary>
internal sealed class SessionLogScope : IReadOnlyList<KeyValuePair<string, object>>
{
    private readonly string _sessionId;

    public SessionLogScope(string sessionId)
    {
        _sessionId = sessionId;
    }

    public int Count => 1;

    public KeyValuePair<string, object> this[int index] =>
        index == 0 ? new("SessionId", _sessionId) : throw new ArgumentOutOfRangeException(nameof(index));

    public IEnumerator<KeyValuePair<string, object>> GetEnumerator()
    {
        yield return this[0];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => "SessionId:" + _sessionId;
}
