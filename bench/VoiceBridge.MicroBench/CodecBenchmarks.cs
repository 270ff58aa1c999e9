using System.Buffers.Text;
using System.Text;
using BenchmarkDotNet.Attributes;
using VoiceBridge.Realtime;

namespace VoiceBridge.MicroBench;

/// <summary>
/// The codec on the frames of the benchmark's active load: a 20 ms PCM16 24 kHz frame (960 bytes), its
/// <c>input_audio_buffer.append</c>, and an upstream <c>response.output_audio.delta</c> carrying it.
/// Target: 0 B allocated per operation (the Allocated column).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private const int PcmBytes = 960;

    private byte[] _pcm = [];
    private byte[] _append = [];
    private byte[] _delta = [];
    private byte[] _sessionUpdate = [];
    private byte[] _appendDestination = [];
    private byte[] _jsonDestination = [];
    private byte[] _pcmDestination = [];

    [GlobalSetup]
    public void Setup()
    {
        _pcm = new byte[PcmBytes];
        for (var i = 0; i < _pcm.Length; i++)
        {
            _pcm[i] = (byte)(i * 7);
        }

        var base64 = Convert.ToBase64String(_pcm);
        _append = Encoding.UTF8.GetBytes($"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{base64}\"}}");
        _delta = Encoding.UTF8.GetBytes(
            $"{{\"type\":\"response.output_audio.delta\",\"event_id\":\"evt_1\",\"response_id\":\"resp_1\",\"item_id\":\"item_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"{base64}\"}}");
        _sessionUpdate = Encoding.UTF8.GetBytes(
            "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"instructions\":\"Be brief.\",\"audio\":{\"output\":{\"voice\":\"alloy\"}}}}");
        _appendDestination = new byte[RealtimeCodec.GetAppendEventLength(PcmBytes)];
        _jsonDestination = new byte[_delta.Length];
        _pcmDestination = new byte[Base64.GetMaxDecodedFromUtf8Length(_delta.Length)];
    }

    /// <summary>Upstream → browser: the type sniff every upstream frame goes through.</summary>
    [Benchmark]
    public int TypeSniff_AudioDelta() => RealtimeCodec.TryReadType(_delta, out var type) ? type.Length : -1;

    /// <summary>Browser binary PCM → <c>input_audio_buffer.append</c> for upstream.</summary>
    [Benchmark]
    public int PcmToAppend() => RealtimeCodec.WriteAppendEvent(_pcm, _appendDestination);

    /// <summary>Upstream audio delta → JSON without <c>delta</c> + binary PCM (<c>?audio=binary</c>).</summary>
    [Benchmark]
    public int AudioDeltaToPcm() =>
        RealtimeCodec.TrySplitAudioDelta(_delta, _jsonDestination, out var json, _pcmDestination, out var pcm) ? json + pcm : -1;

    /// <summary>Browser text → validation and inspection of an append (the text path's per-frame check).</summary>
    [Benchmark]
    public int InspectClientAppend() => ClientEventInspector.Inspect(_append).AudioByteCount;

    /// <summary>Browser text → inspection of a <c>session.update</c> (nested objects, skipped whole).</summary>
    [Benchmark]
    public int InspectSessionUpdate() => (int)ClientEventInspector.Inspect(_sessionUpdate).Kind;
}
