namespace VoiceBridge.Telephony;

/// <summary>
/// What the caller has actually heard of the assistant's current item: the send loop records the audio it sends and
/// the marks it places after it; the receive loop records the marks Twilio echoes once the audio before them has
/// played. Barge-in truncates at the last acknowledged mark, never at the bytes merely sent. µ-law 8 kHz: 8 bytes a ms.
/// </summary>
internal sealed class TwilioPlayback
{
    public const int BytesPerMs = 8;

    /// <summary>The contract's bound: what was played is known to within this much audio.</summary>
    public const int MarkEveryMs = 100;

    private readonly Lock _lock = new();
    private readonly Queue<Mark> _marks = new();
    private string? _item;
    private long _sentBytes;
    private long _markedBytes;
    private string? _heardItem;
    private long _heardMs;
    private long _sequence;

    /// <summary><paramref name="bytes"/> of <paramref name="item"/>'s audio went to Twilio.</summary>
    public void Sent(string item, int bytes)
    {
        lock (_lock)
        {
            if (!string.Equals(item, _item, StringComparison.Ordinal))
            {
                _item = item;
                _sentBytes = 0;
                _markedBytes = 0;
            }

            _sentBytes += bytes;
        }
    }

    /// <summary>
    /// The name of a mark to send now, or null: one every <see cref="MarkEveryMs"/> of audio, and with
    /// <paramref name="final"/> (a response's last chunk went) one for whatever is unmarked.
    /// </summary>
    public string? MarkDue(bool final)
    {
        lock (_lock)
        {
            var unmarked = _sentBytes - _markedBytes;
            if (_item is null || unmarked <= 0 || (!final && unmarked < MarkEveryMs * BytesPerMs))
            {
                return null;
            }

            _markedBytes = _sentBytes;
            var name = "vb-" + (++_sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);
            _marks.Enqueue(new Mark(name, _item, _sentBytes / BytesPerMs));
            return name;
        }
    }

    /// <summary>Twilio echoed <paramref name="name"/>: everything before it has played. Unknown names (cleared ones) are ignored.</summary>
    public void Acknowledged(string? name)
    {
        lock (_lock)
        {
            if (name is null || !_marks.Any(m => m.Name == name))
            {
                return;
            }

            // Twilio plays in order: every earlier mark has played too.
            while (_marks.TryDequeue(out var mark))
            {
                _heardItem = mark.Item;
                _heardMs = mark.Ms;
                if (mark.Name == name)
                {
                    break;
                }
            }
        }
    }

    /// <summary>Milliseconds of <paramref name="item"/> the caller has heard, from acknowledged marks.</summary>
    public long HeardMs(string item)
    {
        lock (_lock)
        {
            return string.Equals(item, _heardItem, StringComparison.Ordinal) ? _heardMs : 0;
        }
    }

    /// <summary>
    /// The caller spoke: if audio sent has not all been heard, returns the item being played and the milliseconds heard,
    /// and forgets the marks in flight (Twilio echoes them at once on <c>clear</c>; they say nothing about playback).
    /// </summary>
    public bool TryInterrupt(out string item, out long heardMs)
    {
        lock (_lock)
        {
            item = _item ?? string.Empty;
            heardMs = 0;
            if (_item is null)
            {
                return false;
            }

            heardMs = string.Equals(_item, _heardItem, StringComparison.Ordinal) ? _heardMs : 0;
            if (heardMs * BytesPerMs >= _sentBytes)
            {
                return false;
            }

            _marks.Clear();
            _item = null;
            _sentBytes = 0;
            _markedBytes = 0;
            return true;
        }
    }

    private readonly record struct Mark(string Name, string Item, long Ms);
}
