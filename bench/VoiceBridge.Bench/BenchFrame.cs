using System.Buffers.Binary;
using System.Buffers.Text;

namespace VoiceBridge.Bench;

/// <summary>
/// The load's 20 ms PCM16 24 kHz frame (960 bytes). Its first 16 bytes carry the sequence number and the
/// send timestamp (<see cref="System.Diagnostics.Stopwatch"/> ticks), so the same marker survives every
/// path: a text append (base64), a binary frame, the echo's delta, and the bridge's <c>?audio=binary</c> split.
/// </summary>
internal static class BenchFrame
{
    public const int PcmBytes = 960;

    private const int MarkerBytes = 16;

    // 18 bytes = 24 base64 characters without padding: enough to recover the 16-byte marker.
    private const int MarkerBase64Chars = 24;

    private static ReadOnlySpan<byte> AppendPrefix => "{\"type\":\"input_audio_buffer.append\",\"audio\":\""u8;

    private static ReadOnlySpan<byte> AppendSuffix => "\"}"u8;

    private static ReadOnlySpan<byte> DeltaKey => "\"delta\":\""u8;

    public static int TextFrameLength => AppendPrefix.Length + Base64.GetMaxEncodedToUtf8Length(PcmBytes) + AppendSuffix.Length;

    /// <summary>A quiet, non-zero PCM body (a low square wave) so nothing can compress it to nothing.</summary>
    public static void FillPcm(Span<byte> pcm)
    {
        for (var i = 0; i < pcm.Length; i += 2)
        {
            BinaryPrimitives.WriteInt16LittleEndian(pcm[i..], (short)((i / 96 % 2 == 0) ? 800 : -800));
        }
    }

    public static void WriteMarker(Span<byte> pcm, long sequence, long timestamp)
    {
        BinaryPrimitives.WriteInt64LittleEndian(pcm, sequence);
        BinaryPrimitives.WriteInt64LittleEndian(pcm[8..], timestamp);
    }

    public static bool TryReadMarker(ReadOnlySpan<byte> pcm, out long sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        if (pcm.Length < MarkerBytes)
        {
            return false;
        }

        sequence = BinaryPrimitives.ReadInt64LittleEndian(pcm);
        timestamp = BinaryPrimitives.ReadInt64LittleEndian(pcm[8..]);
        return true;
    }

    /// <summary>Writes the text append for <paramref name="pcm"/>; returns its length.</summary>
    public static int WriteTextAppend(ReadOnlySpan<byte> pcm, Span<byte> destination)
    {
        AppendPrefix.CopyTo(destination);
        Base64.EncodeToUtf8(pcm, destination[AppendPrefix.Length..], out _, out var written);
        AppendSuffix.CopyTo(destination[(AppendPrefix.Length + written)..]);
        return AppendPrefix.Length + written + AppendSuffix.Length;
    }

    /// <summary>Reads the marker out of an audio delta's base64 <c>delta</c> (only its first 24 characters are decoded).</summary>
    public static bool TryReadMarkerFromDelta(ReadOnlySpan<byte> json, out long sequence, out long timestamp)
    {
        sequence = 0;
        timestamp = 0;
        var at = json.IndexOf(DeltaKey);
        if (at < 0)
        {
            return false;
        }

        var base64 = json[(at + DeltaKey.Length)..];
        if (base64.Length < MarkerBase64Chars)
        {
            return false;
        }

        Span<byte> marker = stackalloc byte[18];
        if (Base64.DecodeFromUtf8(base64[..MarkerBase64Chars], marker, out _, out var decoded, isFinalBlock: false) is not System.Buffers.OperationStatus.Done
            || decoded < MarkerBytes)
        {
            return false;
        }

        return TryReadMarker(marker, out sequence, out timestamp);
    }
}
