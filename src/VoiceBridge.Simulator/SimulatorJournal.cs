using System.Collections.Concurrent;

namespace VoiceBridge.Simulator;

/// <summary>
/// What the simulator's sessions received from their client, for tests that check what a client replayed: each
/// session's items created with <c>conversation.item.create</c>, in order. Off unless one is registered (a
/// <see cref="SimulatorJournal"/> singleton beside the simulator): the product's simulator keeps nothing.
/// </summary>
public sealed class SimulatorJournal
{
    private readonly ConcurrentQueue<SimulatorSessionJournal> _sessions = new();

    /// <summary>Every session so far, in the order they started.</summary>
    public IReadOnlyList<SimulatorSessionJournal> Sessions => [.. _sessions];

    internal SimulatorSessionJournal Open(string sessionId)
    {
        var session = new SimulatorSessionJournal(sessionId);
        _sessions.Enqueue(session);
        return session;
    }
}

/// <summary>One simulated session's part of the <see cref="SimulatorJournal"/>.</summary>
public sealed class SimulatorSessionJournal
{
    private readonly List<SimulatorReceivedItem> _items = [];

    internal SimulatorSessionJournal(string sessionId)
    {
        SessionId = sessionId;
    }

    public string SessionId { get; }

    /// <summary>The items the client created, in the order they arrived (a copy).</summary>
    public IReadOnlyList<SimulatorReceivedItem> ReceivedItems
    {
        get
        {
            lock (_items)
            {
                return [.. _items];
            }
        }
    }

    internal void Received(ConversationItem item)
    {
        var texts = item.Content.Select(p => p.Text ?? p.Transcript).Where(t => !string.IsNullOrEmpty(t));
        var received = new SimulatorReceivedItem(item.Id, item.Type, item.Role, item.Content.Count == 0 ? null : string.Join(' ', texts), item.CallId, item.Name, item.Arguments, item.Output);
        lock (_items)
        {
            _items.Add(received);
        }
    }
}

/// <summary>An item as the client created it: its text is the content's texts (or transcripts) joined with a space.</summary>
public sealed record SimulatorReceivedItem(string Id, string Type, string? Role, string? Text, string? CallId, string? Name, string? Arguments, string? Output);
