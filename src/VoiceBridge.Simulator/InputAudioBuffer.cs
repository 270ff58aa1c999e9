using System.Buffers;

namespace VoiceBridge.Simulator;

/// <summary>
/// The session's uncommitted input audio, addressed by absolute byte positions counted from the start of the
/// session's audio (so VAD timestamps and the committed item agree). Backed by a pooled array.
/// </summary>
internal sealed class InputAudioBuffer : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _count;

    /// <summary>Absolute position of the first buffered byte.</summary>
    public long Start { get; private set; }

    /// <summary>Absolute position just past the last byte ever appended (the session's total input audio).</summary>
    public long End => Start + _count;

    public int Length => _count;

    public void Append(ReadOnlySpan<byte> audio)
    {
        if (_buffer.Length - _count < audio.Length)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _count + audio.Length));
            _buffer.AsSpan(0, _count).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }

        audio.CopyTo(_buffer.AsSpan(_count));
        _count += audio.Length;
    }

    /// <summary>The buffered bytes in [<paramref name="from"/>, <paramref name="from"/> + <paramref name="length"/>).</summary>
    public ReadOnlySpan<byte> Slice(long from, int length) => _buffer.AsSpan(checked((int)(from - Start)), length);

    /// <summary>Drops everything before <paramref name="position"/> (no-op when already dropped).</summary>
    public void DiscardBefore(long position)
    {
        var drop = (int)Math.Clamp(position - Start, 0, _count);
        if (drop == 0)
        {
            return;
        }

        _buffer.AsSpan(drop, _count - drop).CopyTo(_buffer);
        _count -= drop;
        Start += drop;
    }

    /// <summary>Removes and returns the bytes before <paramref name="position"/> (clamped to what is buffered).</summary>
    public byte[] TakeUntil(long position)
    {
        var take = (int)Math.Clamp(position - Start, 0, _count);
        var taken = _buffer.AsSpan(0, take).ToArray();
        DiscardBefore(Start + take);
        return taken;
    }

    public byte[] TakeAll() => TakeUntil(End);

    public void Clear() => DiscardBefore(End);

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        _count = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
