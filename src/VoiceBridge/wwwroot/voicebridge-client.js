// voicebridge-client.js: talk to a VoiceBridge from a browser. No dependencies, no build step.
//
//   import { VoiceBridgeClient } from "/voicebridge-client.js";
//   const client = new VoiceBridgeClient({ token });          // token: optional, from your backend
//   client.addEventListener("transcript", (e) => console.log(e.detail.role, e.detail.text));
//   await client.connect();                                   // call from a click: browsers need a gesture
//   client.muted = true; client.hangUp();
//
// The microphone is captured with getUserMedia + an AudioWorklet, resampled to 24 kHz mono PCM16 and sent as
// 20 ms binary frames on `/voice?audio=binary`; the assistant's PCM is played through an AudioWorklet jitter
// buffer. When the user speaks over the assistant (`input_audio_buffer.speech_started`) or an operator
// interrupts (`output_audio_buffer.cleared`), playback stops at once and the assistant item is truncated to
// the audio actually played, so the model's memory of what it said matches what the user heard.
//
// It asks for the bridge's own events (`?bridge_events=1`). When the connection drops without a close frame (a
// network blip), it resumes the same call with the resume token from `bridge.session.created`: retries after
// 0.25 s, doubling, while the bridge's resume window lasts. The state is "reconnecting" meanwhile; the microphone
// and playback stay up, and what the bridge kept (the rest of the answer) plays on once resumed.

const WIRE_RATE = 24000;

/**
 * Events: "state", "transcript", "error", "latency", "level", "interrupted", "resumed" ({ replayedEvents }),
 * "tool" ({ callId, name, outcome, durationMs }: a server tool started or completed), "event" (every server event).
 */
export class VoiceBridgeClient extends EventTarget {
  /**
   * @param {object} [options]
   * @param {string} [options.url] WebSocket URL of the bridge; default: `/voice` on the page's own host.
   * @param {string} [options.token] A bridge token (sent as the `openai-insecure-api-key.<token>` subprotocol).
   * @param {number} [options.frameMs] Milliseconds of audio per frame sent (default 20).
   * @param {number} [options.prebufferMs] Playback jitter buffer before audio starts (default 60).
   * @param {MediaTrackConstraints} [options.audio] getUserMedia audio constraints (default: mono, with echo
   *   cancellation, noise suppression and auto gain, which a user with speakers needs for barge-in).
   */
  constructor(options = {}) {
    super();
    this.options = { frameMs: 20, prebufferMs: 60, ...options };
    this._state = "idle";
    this._muted = false;
    this._resetCall();
  }

  /** "idle" | "connecting" | "connected" (session live) | "reconnecting" (resuming after a blip) | "closing" | "closed". */
  get state() {
    return this._state;
  }

  get muted() {
    return this._muted;
  }

  /** Muting sends silence (the track is disabled), so the server's turn detection still sees the turn end. */
  set muted(value) {
    this._muted = Boolean(value);
    for (const track of this._stream?.getAudioTracks() ?? []) {
      track.enabled = !this._muted;
    }
  }

  /** Counters of the current (or last) call. Samples are 24 kHz. */
  get stats() {
    return {
      framesSent: this._framesSent,
      samplesSent: this._framesSent * (WIRE_RATE * this.options.frameMs) / 1000,
      samplesReceived: this._samplesReceived,
      samplesPlayed: this._totalPlayed,
      underruns: this._underruns,
      playedByItem: { ...this._playedByItem },
      receivedByItem: { ...this._receivedByItem },
      turns: this._turns.map((t) => ({ ...t })),
      interruptions: this._interruptions.map((i) => ({ ...i })),
      sessionId: this._sessionId,
      resumes: this._resumes,
    };
  }

  /** Opens the microphone and the bridge socket. Resolves when the session is live (`session.created`). */
  async connect() {
    if (this._state === "connecting" || this._state === "connected") {
      throw new Error("already connected");
    }

    this._resetCall();
    this._setState("connecting");
    try {
      const context = new AudioContext({ latencyHint: "interactive" });
      this._context = context;
      await context.audioWorklet.addModule(new URL("./voicebridge-worklets.js", import.meta.url));
      await context.resume();

      const audio = this.options.audio ?? { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true };
      this._stream = await navigator.mediaDevices.getUserMedia({ audio });
      this.muted = this._muted;

      this._playback = new AudioWorkletNode(context, "voicebridge-playback", {
        numberOfInputs: 0,
        outputChannelCount: [1],
        processorOptions: { prebufferMs: this.options.prebufferMs },
      });
      this._playback.port.onmessage = (e) => this._onPlayback(e.data);
      this._playback.connect(context.destination);

      this._capture = new AudioWorkletNode(context, "voicebridge-capture", {
        numberOfOutputs: 0,
        channelCount: 1,
        channelCountMode: "explicit",
        processorOptions: { frameMs: this.options.frameMs },
      });
      this._capture.port.onmessage = (e) => this._onCaptured(e.data);
      this._source = context.createMediaStreamSource(this._stream);
      this._source.connect(this._capture);

      await this._open();
    } catch (error) {
      if (this._state === "connecting") {
        this._fail(describeStartFailure(error));
        this._teardown();
      }
      throw error;
    }
  }

  /** Ends the call (close 1000) and releases the microphone. */
  hangUp() {
    if (this._state === "reconnecting") {
      this._stopResuming();
      // A resume attempt in flight is abandoned: its close must not report an error for a call the user ended.
      const attempt = this._socket;
      this._socket = null;
      attempt?.close(1000, "hang up");
      this._teardown();
      this._setState("closed");
      return;
    }
    if (this._socket && this._socket.readyState <= WebSocket.OPEN) {
      this._setState("closing");
      this._socket.close(1000, "hang up");
    } else {
      this._teardown();
      this._setState("closed");
    }
  }

  /** Sends a typed user message and asks for an answer (with the simulator, `/tool <name> <json>` calls a tool). */
  say(text) {
    this.send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text }] } });
    this.send({ type: "response.create" });
  }

  /** Sends a Realtime client event (an object with a `type`). */
  send(event) {
    if (this._socket?.readyState !== WebSocket.OPEN) {
      throw new Error("not connected");
    }
    this._socket.send(JSON.stringify(event));
  }

  // --- socket -------------------------------------------------------------------------------------------------

  _open() {
    const url = new URL(this.options.url ?? "/voice", location.href);
    url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
    url.searchParams.set("audio", "binary");
    url.searchParams.set("bridge_events", "1");
    const protocols = ["realtime"];
    if (this.options.token) {
      protocols.push("openai-insecure-api-key." + this.options.token);
    }

    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols);
      socket.binaryType = "arraybuffer";
      this._socket = socket;
      this._ready = { resolve, reject };
      socket.onopen = () => {
        for (const frame of this._pending) {
          socket.send(frame);
        }
        this._pending = [];
      };
      socket.onmessage = (e) => (typeof e.data === "string" ? this._onEvent(e.data) : this._onAudio(e.data));
      // A socket replaced by a resume may still report its end: only the current one speaks for the call.
      socket.onclose = (e) => this._socket === socket && this._onClose(e);
    });
  }

  _onClose(event) {
    // 1006: the connection ended without a close frame (a blip, not a hang-up): resume while the window lasts.
    if (event.code === 1006 && this._state === "connected" && this._resume?.token) {
      this._startResuming();
      return;
    }
    const wasLive = this._state === "connected" || this._state === "closing";
    const expected = this._state === "closing" && event.code === 1000;
    if (!expected) {
      const message = describeClose(event.code, event.reason, wasLive);
      if (message) {
        this._emit("error", { source: "close", code: event.code, reason: event.reason, message });
      }
    }
    this._ready?.reject(new Error(describeClose(event.code, event.reason, wasLive) ?? "closed"));
    this._ready = null;
    this._teardown();
    this._setState("closed");
  }

  _onEvent(text) {
    let event;
    try {
      event = JSON.parse(text);
    } catch {
      return;
    }
    this._emit("event", event);

    switch (event.type) {
      case "bridge.session.created":
        this._resume = { token: event.resume_token ?? null, windowMs: event.resume_window_ms ?? 0 };
        break;

      case "bridge.session.resumed":
        this._resume = { ...this._resume, token: event.resume_token ?? null };
        this._resumes++;
        this._stopResuming();
        this._setState("connected");
        this._emit("resumed", { replayedEvents: event.replayed_events ?? 0 });
        break;


      case "bridge.tool_call.started":
      case "bridge.tool_call.completed":
        // A server tool the bridge runs: name and outcome only, never its arguments or result.
        this._emit("tool", {
          callId: event.call_id,
          name: event.name,
          outcome: event.outcome ?? null,
          durationMs: event.duration_ms ?? null,
        });
        break;
      case "session.created":
        this._sessionId = event.session?.id ?? null;
        this._setState("connected");
        this._ready?.resolve();
        this._ready = null;
        break;

      case "input_audio_buffer.speech_started":
        this._interrupt("speech_started");
        this._turnStart = performance.now();
        break;

      case "input_audio_buffer.speech_stopped":
        this._turnEnd = performance.now();
        break;

      case "output_audio_buffer.cleared":
        this._interrupt("cleared");
        break;

      case "input_audio_buffer.committed":
        // With turn detection off, the turn ends when the page commits.
        this._turnEnd ??= performance.now();
        break;

      case "response.created":
        this._discard.clear();
        this._responseStartedAt = performance.now();
        this._awaitingFirstAudio = { response: event.response?.id, since: this._turnEnd ?? this._responseStartedAt };
        this._turnEnd = null;
        break;

      case "response.output_audio.delta":
      case "response.audio.delta":
        this._audioItem = event.item_id;
        this._audioResponse = event.response_id;
        this._contentIndex[event.item_id] = event.content_index ?? 0;
        if (typeof event.delta === "string") {
          // ?audio=json (the bridge sends binary frames on ours; kept for other servers)
          this._onAudio(base64ToBuffer(event.delta));
        }
        break;

      case "response.output_audio.done":
      case "response.audio.done":
        this._playback?.port.postMessage({ type: "end", item: event.item_id });
        break;

      case "response.output_audio_transcript.delta":
      case "response.audio_transcript.delta":
      case "response.output_text.delta":
      case "response.text.delta":
        this._transcript("assistant", event.item_id, event.delta, false);
        break;

      case "response.output_audio_transcript.done":
      case "response.audio_transcript.done":
        this._transcript("assistant", event.item_id, event.transcript, true, true);
        break;

      case "response.output_text.done":
      case "response.text.done":
        this._transcript("assistant", event.item_id, event.text, true, true);
        break;

      case "conversation.item.input_audio_transcription.delta":
        this._transcript("user", event.item_id, event.delta, false);
        break;

      case "conversation.item.input_audio_transcription.completed":
        this._transcript("user", event.item_id, event.transcript, true, true);
        break;

      case "conversation.item.truncated": {
        const pending = this._interruptions.find((i) => i.item === event.item_id && i.truncatedMs === null);
        if (pending) {
          pending.truncatedMs = event.audio_end_ms;
        }
        break;
      }

      case "error":
        this._emit("error", {
          source: "bridge",
          code: event.error?.code ?? null,
          message: describeError(event.error),
          raw: event.error,
        });
        break;
    }
  }

  // --- resume -------------------------------------------------------------------------------------------------

  _startResuming() {
    this._setState("reconnecting");
    const deadline = performance.now() + this._resume.windowMs;
    let delay = 250;
    const attempt = () => {
      this._resumeTimer = null;
      if (this._state !== "reconnecting") {
        return;
      }
      if (performance.now() + 50 >= deadline) {
        this._resumeFailed();
        return;
      }
      this._openResume(() => {
        // This attempt failed (refused, or the network is still down): try again, later each time, within the window.
        if (this._state !== "reconnecting") {
          return;
        }
        delay = Math.min(delay * 2, Math.max(0, deadline - performance.now()));
        this._resumeTimer = setTimeout(attempt, delay);
      });
    };
    this._resumeTimer = setTimeout(attempt, delay);
  }

  /** One resume attempt: the token as a subprotocol entry (never a query parameter, which proxies log). */
  _openResume(onFailed) {
    const url = new URL(this.options.url ?? "/voice", location.href);
    url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
    const protocols = ["realtime", "voicebridge-resume." + this._resume.token];
    if (this.options.token) {
      protocols.push("openai-insecure-api-key." + this.options.token);
    }
    const socket = new WebSocket(url, protocols);
    socket.binaryType = "arraybuffer";
    this._socket = socket;
    socket.onmessage = (e) => (typeof e.data === "string" ? this._onEvent(e.data) : this._onAudio(e.data));
    socket.onclose = (e) => {
      if (this._socket !== socket) {
        return;
      }
      if (this._state === "reconnecting") {
        onFailed();
      } else {
        this._onClose(e);
      }
    };
  }

  _stopResuming() {
    if (this._resumeTimer) {
      clearTimeout(this._resumeTimer);
      this._resumeTimer = null;
    }
  }

  _resumeFailed() {
    this._stopResuming();
    this._emit("error", { source: "close", code: 1006, reason: "", message: "The connection to the bridge was lost and could not be resumed." });
    this._teardown();
    this._setState("closed");
  }

  // --- audio --------------------------------------------------------------------------------------------------

  _onCaptured({ pcm, rms }) {
    this._emit("level", { rms: this._muted ? 0 : rms });
    if (this._socket?.readyState === WebSocket.OPEN) {
      this._socket.send(pcm);
      this._framesSent++;
    } else if (this._state === "connecting" && this._pending.length < 100) {
      // Captured while the socket opens: sent, in order, once it is open (at most 2 s).
      this._pending.push(pcm);
      this._framesSent++;
    }
  }

  _onAudio(buffer) {
    if (buffer.byteLength === 0 || this._discard.has(this._audioResponse)) {
      return;
    }
    this._samplesReceived += buffer.byteLength / 2;
    this._receivedByItem[this._audioItem] = (this._receivedByItem[this._audioItem] ?? 0) + buffer.byteLength / 2;
    this._playback?.port.postMessage({ type: "chunk", item: this._audioItem, pcm: buffer }, [buffer]);
  }

  _onPlayback(message) {
    switch (message.type) {
      case "started": {
        const first = this._awaitingFirstAudio;
        if (first) {
          const turn = { response: first.response, item: message.item, firstAudioMs: Math.round(performance.now() - first.since) };
          this._turns.push(turn);
          this._awaitingFirstAudio = null;
          this._emit("latency", { turn: this._turns.length, ...turn });
        }
        this._itemStartedAt[message.item] = performance.now();
        break;
      }
      case "progress":
        this._totalPlayed = message.totalPlayed;
        this._underruns = message.underruns;
        if (message.item) {
          this._playedByItem[message.item] = message.played;
        }
        break;
      case "drained":
        this._playedByItem[message.item] = message.played;
        break;
      case "flushed":
        this._totalPlayed = message.totalPlayed;
        this._flushWaiters.get(message.id)?.(message);
        this._flushWaiters.delete(message.id);
        break;
    }
  }

  /** Stops playback now and truncates the assistant item to what was heard. */
  async _interrupt(reason) {
    const playback = this._playback;
    if (!playback) {
      return;
    }

    const requestedAt = performance.now();
    const id = ++this._flushId;
    const interruptedResponse = this._audioResponse;
    if (interruptedResponse) {
      this._discard.add(interruptedResponse); // deltas still in flight for it are not played
    }
    const flushed = await new Promise((resolve) => {
      this._flushWaiters.set(id, resolve);
      playback.port.postMessage({ type: "flush", id });
    });
    if (!flushed.wasPlaying || !flushed.item) {
      return; // nothing was playing or waiting: nothing to take back
    }

    const stoppedAt = performance.now();
    this._playedByItem[flushed.item] = flushed.played;
    const audioEndMs = Math.floor((flushed.played * 1000) / WIRE_RATE);
    const record = {
      reason,
      item: flushed.item,
      requestedAt,
      stoppedAt,
      stopMs: stoppedAt - requestedAt,
      playedMs: audioEndMs,
      playedSinceStartMs: this._itemStartedAt[flushed.item] === undefined ? null : stoppedAt - this._itemStartedAt[flushed.item],
      truncatedMs: null,
    };
    this._interruptions.push(record);
    this._emit("interrupted", { ...record });

    if (this._socket?.readyState === WebSocket.OPEN) {
      this.send({
        type: "conversation.item.truncate",
        item_id: flushed.item,
        content_index: this._contentIndex[flushed.item] ?? 0,
        audio_end_ms: audioEndMs,
      });
    }
  }

  _transcript(role, item, text, final, replace = false) {
    if (typeof text !== "string" || !item) {
      return;
    }
    const current = replace ? text : (this._transcripts.get(item) ?? "") + text;
    this._transcripts.set(item, current);
    this._emit("transcript", { role, item, text: current, final });
  }

  // --- lifecycle ----------------------------------------------------------------------------------------------

  _resetCall() {
    this._pending = [];
    this._framesSent = 0;
    this._samplesReceived = 0;
    this._totalPlayed = 0;
    this._underruns = 0;
    this._turns = [];
    this._interruptions = [];
    this._transcripts = new Map();
    this._playedByItem = {};
    this._receivedByItem = {};
    this._itemStartedAt = {};
    this._contentIndex = {};
    this._discard = new Set();
    this._flushWaiters = new Map();
    this._flushId = 0;
    this._audioItem = null;
    this._audioResponse = null;
    this._turnEnd = null;
    this._awaitingFirstAudio = null;
    this._sessionId = null;
    this._resume = null;
    this._resumes = 0;
    this._resumeTimer = null;
  }

  _teardown() {
    for (const track of this._stream?.getTracks() ?? []) {
      track.stop();
    }
    this._source?.disconnect();
    this._capture?.disconnect();
    this._playback?.disconnect();
    this._context?.close().catch(() => {});
    for (const resolve of this._flushWaiters.values()) {
      resolve({ wasPlaying: false });
    }
    this._flushWaiters.clear();
    this._stream = this._source = this._capture = this._playback = this._context = null;
  }

  _fail(message) {
    this._emit("error", { source: "client", code: null, message });
    this._setState("closed");
  }

  _setState(state) {
    if (this._state !== state) {
      this._state = state;
      this._emit("state", { state });
    }
  }

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

// --- plain words ----------------------------------------------------------------------------------------------

const ERROR_WORDS = {
  invalid_event: "The bridge could not read a message from this page.",
  invalid_audio_frame: "The bridge refused an audio frame from this page.",
  message_too_big: "A message from this page was too large; the bridge ended the call.",
  upstream_auth_failed: "The voice service refused the bridge's credentials. The operator needs to check the API key.",
  upstream_rate_limited: "The voice service is rate-limiting this bridge. Try again in a minute.",
  upstream_unavailable: "The voice service cannot be reached right now. Try again shortly.",
  upstream_disconnected: "The connection to the voice service was lost.",
  slow_consumer: "This page could not keep up with the audio, so the bridge ended the call.",
  server_shutting_down: "The bridge is restarting. Reconnect in a moment.",
  session_field_locked: "The bridge kept its own settings for this call.",
  system_item_locked: "The bridge does not let a page add system instructions.",
  unknown_event: "The bridge does not allow that kind of message.",
  audio_rate_exceeded: "Too much audio was sent too fast; some of it was dropped.",
  session_expired: "The call reached its maximum length.",
  idle_timeout: "The call was idle for too long and was ended.",
  session_ended_by_operator: "An operator ended the call.",
};

function describeError(error) {
  if (!error) {
    return "The bridge reported an error.";
  }
  const words = ERROR_WORDS[error.code];
  if (words && error.message && error.code !== "session_ended_by_operator") {
    return `${words} (${error.message})`;
  }
  if (words && error.code === "session_ended_by_operator" && error.message) {
    return `${words} Reason: ${error.message}`;
  }
  return words ?? error.message ?? `The voice service reported an error (${error.code ?? error.type}).`;
}

function describeClose(code, reason, wasLive) {
  const why = reason ? ` (${reason})` : "";
  switch (code) {
    case 1000:
      return wasLive ? null : `The bridge closed the connection${why}.`;
    case 1001:
      return `The session ended: the server is going away or the session hit its time limit${why}.`;
    case 1006:
      return wasLive
        ? "The connection to the bridge was lost."
        : "Could not connect to the bridge. It may be down, or it refused the connection (token, origin or too many sessions).";
    case 1008:
      return `The bridge ended the call: this page was too slow or broke a rule${why}.`;
    case 1009:
      return `The bridge ended the call: a message was too large${why}.`;
    case 1011:
      return `The voice service failed${why}.`;
    case 1013:
      return `The voice service is busy or unreachable; try again shortly${why}.`;
    default:
      return `The connection closed with code ${code}${why}.`;
  }
}

function describeStartFailure(error) {
  switch (error?.name) {
    case "NotAllowedError":
      return "Microphone access was denied. Allow it in the browser's site settings and try again.";
    case "NotFoundError":
      return "No microphone was found.";
    case "NotReadableError":
      return "The microphone is in use by another application.";
    default:
      return error?.message ?? String(error);
  }
}

function base64ToBuffer(base64) {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes.buffer;
}
