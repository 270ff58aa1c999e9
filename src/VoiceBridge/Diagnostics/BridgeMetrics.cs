using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using VoiceBridge.Sessions;
using VoiceBridge.WebSockets;

namespace VoiceBridge.Diagnostics;

/// <summary>
/// The bridge's instruments (meter <c>VoiceBridge</c>) behind intention-revealing methods. Every method
/// records with tags from fixed sets (or the caller's constant code strings) through the struct-tag
/// overloads, so a call allocates nothing; without a listener each call is little more than a branch.
/// Prometheus names are derived by OpenTelemetry's exporter: dots become underscores, the unit <c>s</c> adds
/// <c>_seconds</c> (<c>By</c> adds <c>_bytes</c> unless the name ends in it), counters end in <c>_total</c>, and a unit in
/// braces (<c>{frame}</c>) adds nothing.
/// </summary>
internal sealed class BridgeMetrics
{
    public const string MeterName = "VoiceBridge";

    public const string DirectionKey = "direction";
    public const string KindKey = "kind";
    public const string OutcomeKey = "outcome";

    public const string ChannelKey = "channel";

    public const string ChannelBrowser = "browser";

    public const string ChannelTwilio = "twilio";
    public const string CodeKey = "code";
    public const string ReasonKey = "reason";
    public const string ToolKey = "tool";

    /// <summary>Upstream handshake times: a healthy connect is tens of milliseconds, retries reach seconds.</summary>
    public static readonly double[] ConnectBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>End of the caller's turn to first audio: what matters is resolution between 200 ms and 2 s.</summary>
    public static readonly double[] FirstAudioBuckets = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10];

    /// <summary>Time a frame spends inside the bridge: microseconds when healthy, milliseconds under back-pressure.</summary>
    public static readonly double[] ForwardBuckets = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

    /// <summary>Server tool calls (webhook round trips, retries included): tens of milliseconds to the 10 s default timeout.</summary>
    public static readonly double[] ToolCallBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly KeyValuePair<string, object?> Inbound = new(DirectionKey, "inbound");
    private static readonly KeyValuePair<string, object?> Outbound = new(DirectionKey, "outbound");
    private static readonly KeyValuePair<string, object?> TextKind = new(KindKey, "text");
    private static readonly KeyValuePair<string, object?> BinaryKind = new(KindKey, "binary");
    private static readonly KeyValuePair<string, object?> InputTextTokens = new(KindKey, "input_text");
    private static readonly KeyValuePair<string, object?> InputAudioTokens = new(KindKey, "input_audio");
    private static readonly KeyValuePair<string, object?> InputImageTokens = new(KindKey, "input_image");
    private static readonly KeyValuePair<string, object?> InputCachedTokens = new(KindKey, "input_cached");
    private static readonly KeyValuePair<string, object?> InputOtherTokens = new(KindKey, "input_other");
    private static readonly KeyValuePair<string, object?> OutputTextTokens = new(KindKey, "output_text");
    private static readonly KeyValuePair<string, object?> OutputAudioTokens = new(KindKey, "output_audio");
    private static readonly KeyValuePair<string, object?> OutputOtherTokens = new(KindKey, "output_other");

    // Per thread, so the sampling decision touches no shared cache line; which frames are timed does not matter.
    [ThreadStatic]
    private static int _forwardCountdown;

    private readonly Counter<long> _sessions;
    private readonly Counter<long> _frames;
    private readonly Counter<long> _bytes;
    private readonly Histogram<double> _upstreamConnect;
    private readonly Counter<long> _upstreamConnectFailures;
    private readonly Histogram<double> _firstAudio;
    private readonly Histogram<double> _forward;
    private readonly Counter<long> _queueFullWaits;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _upstreamReconnects;
    private readonly Counter<long> _toolCalls;
    private readonly Histogram<double> _toolCallDuration;
    private readonly Counter<long> _webhookDeliveries;
    private readonly int _forwardSampleEvery;
    private readonly Counter<long> _resumes;
    private int _detached;

    public BridgeMetrics(IMeterFactory meterFactory, SessionRegistry registry, IOptions<TelemetryOptions> options)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(registry);
        _forwardSampleEvery = Math.Max(1, options.Value.ForwardSampleEvery);

        Meter = meterFactory.Create(new MeterOptions(MeterName));
        Meter.CreateObservableGauge("voicebridge.sessions.active", () => ActiveByChannel(registry), "{session}", "Bridge sessions open now, by channel (browser, twilio).");
        _sessions = Meter.CreateCounter<long>("voicebridge.sessions", "{session}", "Bridge sessions ended, by outcome (the close reason or error code) and channel (browser, twilio).");
        _frames = Meter.CreateCounter<long>("voicebridge.frames", "{frame}", "WebSocket messages forwarded; inbound = browser to upstream, outbound = upstream to browser.");
        _bytes = Meter.CreateCounter<long>("voicebridge.bytes", "By", "Payload bytes forwarded; inbound = browser to upstream, outbound = upstream to browser.");
        _upstreamConnect = Meter.CreateHistogram("voicebridge.upstream.connect", "s", "Time to open the upstream WebSocket, retries included, for successful connects.", tags: null, Advice(ConnectBuckets));
        _upstreamConnectFailures = Meter.CreateCounter<long>("voicebridge.upstream.connect.failures", "{failure}", "Sessions whose upstream connect failed, by error code.");
        _firstAudio = Meter.CreateHistogram("voicebridge.first_audio", "s", "From the end of the caller's turn (input_audio_buffer.committed or response.create) to the first audio sent to the browser.", tags: null, Advice(FirstAudioBuckets));
        _forward = Meter.CreateHistogram("voicebridge.forward", "s", "Time a frame spends inside the bridge, read complete to write complete (sampled).", tags: null, Advice(ForwardBuckets));
        _queueFullWaits = Meter.CreateCounter<long>("voicebridge.queue_full_waits", "{wait}", "Times a frame found the destination queue full and had to wait.");
        _errors = Meter.CreateCounter<long>("voicebridge.errors", "{error}", "Error events the bridge itself sent to a browser, by code.");
        _upstreamReconnects = Meter.CreateCounter<long>("voicebridge.upstream.reconnects", "{reconnect}", "Upstream connections replaced mid-call, by reason (upstream_expired, upstream_dropped, rollover) and outcome (ok, failed).");
        _tokens = Meter.CreateCounter<long>("voicebridge.tokens", "{token}", "Tokens from the usage of every response.done; input_cached is a subset of the input kinds.");
        Meter.CreateObservableGauge("voicebridge.sessions.detached", () => Volatile.Read(ref _detached), "{session}", "Sessions whose browser vanished and that wait for it to resume (also counted as active).");
        _resumes = Meter.CreateCounter<long>("voicebridge.resumes", "{resume}", "Resume attempts and detached sessions, by outcome: resumed, not_found, forbidden, expired, overflow, ended.");
        _toolCalls = Meter.CreateCounter<long>("voicebridge.tool_calls", "{call}", "Server tool calls, by tool and outcome (ok, error, timeout, cancelled).");
        _toolCallDuration = Meter.CreateHistogram("voicebridge.tool_call.duration", "s", "Time from a server tool call's start to its output, by tool.", tags: null, Advice(ToolCallBuckets));
        _webhookDeliveries = Meter.CreateCounter<long>("voicebridge.webhook_deliveries", "{delivery}", "Webhook requests the bridge made (retries included in one delivery), by kind (tool, session_ended) and outcome.");
    }

    /// <summary>This host's meter; OpenTelemetry listens to this instance only (MeterScope.Local), not to others of the same name.</summary>
    public Meter Meter { get; }

    /// <summary>At session end, once: <paramref name="outcome"/> is the session's reason code (<c>browser_closed</c>, an error code…).</summary>
    public void SessionClosed(string outcome, string channel = ChannelBrowser) =>
        _sessions.Add(1, new KeyValuePair<string, object?>(OutcomeKey, outcome), new KeyValuePair<string, object?>(ChannelKey, channel));

    /// <summary>Phone calls are served (<c>Telephony:Twilio:Enabled</c>): the active gauge then has a <c>twilio</c> series too, zero or not.</summary>
    public bool PhoneChannel { get; set; }

    private IEnumerable<Measurement<int>> ActiveByChannel(SessionRegistry registry)
    {
        if (!PhoneChannel)
        {
            return [new Measurement<int>(registry.Count, new KeyValuePair<string, object?>(ChannelKey, ChannelBrowser))];
        }

        var phones = registry.Sessions.Count(static s => s.Call is not null);
        return
        [
            new Measurement<int>(registry.Count - phones, new KeyValuePair<string, object?>(ChannelKey, ChannelBrowser)),
            new Measurement<int>(phones, new KeyValuePair<string, object?>(ChannelKey, ChannelTwilio)),
        ];
    }

    /// <summary>A session's browser vanished and the session waits for it (<see cref="SessionReattachedOrEnded"/> undoes it).</summary>
    public void SessionDetached() => Interlocked.Increment(ref _detached);

    /// <summary>A detached session was resumed or ended: once per <see cref="SessionDetached"/>.</summary>
    public void SessionReattachedOrEnded() => Interlocked.Decrement(ref _detached);

    /// <summary>
    /// Once per resume attempt refused (<c>not_found</c>, <c>forbidden</c>) and once per detachment by how it ended
    /// (<c>resumed</c>, <c>expired</c>, <c>overflow</c>, <c>ended</c>: the session ended otherwise while detached).
    /// </summary>
    public void Resume(string outcome) => _resumes.Add(1, new KeyValuePair<string, object?>(OutcomeKey, outcome));

    /// <summary>
    /// After a message is handed on (queued for the other socket). <see cref="FrameKind.TextThenBinary"/> counts as
    /// the two messages it becomes; <paramref name="bytes"/> is the whole payload.
    /// </summary>
    public void FrameForwarded(FrameDirection direction, FrameKind kind, int bytes)
    {
        var directionTag = Tag(direction);
        if (kind == FrameKind.TextThenBinary)
        {
            _frames.Add(1, directionTag, TextKind);
            _frames.Add(1, directionTag, BinaryKind);
        }
        else
        {
            _frames.Add(1, directionTag, kind == FrameKind.Text ? TextKind : BinaryKind);
        }

        _bytes.Add(bytes, directionTag);
    }

    /// <summary>Once per session, when the upstream socket is open; <paramref name="elapsed"/> includes retries.</summary>
    public void UpstreamConnected(TimeSpan elapsed) => _upstreamConnect.Record(elapsed.TotalSeconds);

    /// <summary>Once per session whose upstream connect gave up; <paramref name="code"/> is the bridge error code sent to the browser.</summary>
    public void UpstreamConnectFailed(string code) => _upstreamConnectFailures.Add(1, new KeyValuePair<string, object?>(CodeKey, code));

    /// <summary>Each upstream replacement mid-call: <paramref name="reason"/> <c>upstream_expired</c>, <c>upstream_dropped</c> or <c>rollover</c>; <paramref name="outcome"/> <c>ok</c> or <c>failed</c>.</summary>
    public void UpstreamReconnect(string reason, string outcome) =>
        _upstreamReconnects.Add(1, new KeyValuePair<string, object?>(ReasonKey, reason), new KeyValuePair<string, object?>(OutcomeKey, outcome));

    /// <summary>Once per turn: end of the caller's turn to the first audio delta written to the browser.</summary>
    public void FirstAudio(TimeSpan elapsed) => _firstAudio.Record(elapsed.TotalSeconds);

    /// <summary>
    /// When a frame has been read completely: a <see cref="Stopwatch"/> timestamp if this frame is to be timed,
    /// else 0 (also 0 when nobody listens). Carry it with the frame to <see cref="ForwardSample"/>.
    /// </summary>
    public long StartForwardSample()
    {
        if (!_forward.Enabled || ++_forwardCountdown < _forwardSampleEvery)
        {
            return 0;
        }

        _forwardCountdown = 0;
        return Stopwatch.GetTimestamp();
    }

    /// <summary>When the frame's write has completed; does nothing for an unsampled frame (<paramref name="startTimestamp"/> 0).</summary>
    public void ForwardSample(FrameDirection direction, long startTimestamp)
    {
        if (startTimestamp != 0)
        {
            _forward.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, Tag(direction));
        }
    }

    /// <summary>Each time a frame finds the destination queue full and has to wait.</summary>
    public void QueueFullWait(FrameDirection direction) => _queueFullWaits.Add(1, Tag(direction));

    /// <summary>Each error event the bridge itself sends to a browser (a <c>BridgeErrors</c> code).</summary>
    public void Error(string code) => _errors.Add(1, new KeyValuePair<string, object?>(CodeKey, code));

    /// <summary>Once per server tool call when it ends; <paramref name="tool"/> is a configured tool name (a fixed set).</summary>
    public void ToolCall(string tool, string outcome, TimeSpan duration)
    {
        var toolTag = new KeyValuePair<string, object?>(ToolKey, tool);
        _toolCalls.Add(1, toolTag, new KeyValuePair<string, object?>(OutcomeKey, outcome));
        _toolCallDuration.Record(duration.TotalSeconds, toolTag);
    }

    /// <summary>Once per webhook delivery (all its attempts): <paramref name="kind"/> <c>tool</c> or <c>session_ended</c>.</summary>
    public void WebhookDelivery(string kind, string outcome) =>
        _webhookDeliveries.Add(1, new KeyValuePair<string, object?>(KindKey, kind), new KeyValuePair<string, object?>(OutcomeKey, outcome));

    /// <summary>For every <c>response.done</c> with usage (see <see cref="TokenUsage.TryParse"/>).</summary>
    public void Tokens(in TokenUsage usage)
    {
        AddTokens(InputTextTokens, usage.InputTextTokens);
        AddTokens(InputAudioTokens, usage.InputAudioTokens);
        AddTokens(InputImageTokens, usage.InputImageTokens);
        AddTokens(InputCachedTokens, usage.InputCachedTokens);
        AddTokens(InputOtherTokens, usage.InputTokens - usage.InputTextTokens - usage.InputAudioTokens - usage.InputImageTokens);
        AddTokens(OutputTextTokens, usage.OutputTextTokens);
        AddTokens(OutputAudioTokens, usage.OutputAudioTokens);
        AddTokens(OutputOtherTokens, usage.OutputTokens - usage.OutputTextTokens - usage.OutputAudioTokens);
    }

    /// <summary>
    /// Adds 0 to every series of a fixed label set, so a fresh process exposes them at 0 (rates and absent-series
    /// alerts work from the first scrape) instead of letting them appear on first use. Called once the host's
    /// MeterProvider listens (a measurement made before is not seen); codes and outcomes are open sets and appear when first recorded.
    /// </summary>
    public void PublishKnownSeries()
    {
        foreach (var direction in (ReadOnlySpan<KeyValuePair<string, object?>>)[Inbound, Outbound])
        {
            _frames.Add(0, direction, TextKind);
            _frames.Add(0, direction, BinaryKind);
            _bytes.Add(0, direction);
            _queueFullWaits.Add(0, direction);
        }

        foreach (var kind in (ReadOnlySpan<KeyValuePair<string, object?>>)[InputTextTokens, InputAudioTokens, InputCachedTokens, OutputTextTokens, OutputAudioTokens])
        {
            _tokens.Add(0, kind);
        }
    }

    private static KeyValuePair<string, object?> Tag(FrameDirection direction) => direction == FrameDirection.Inbound ? Inbound : Outbound;

    private static InstrumentAdvice<double> Advice(double[] boundaries) => new() { HistogramBucketBoundaries = boundaries };

    private void AddTokens(KeyValuePair<string, object?> kind, long count)
    {
        if (count > 0)
        {
            _tokens.Add(count, kind);
        }
    }
}
