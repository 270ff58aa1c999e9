// AudioWorklet processors of voicebridge-client.js. They run on the browser's audio rendering thread, at the
// AudioContext's rate (usually 48 kHz); the wire format is PCM16 mono at 24 kHz, so both resample.
//
// voicebridge-capture:  microphone -> 24 kHz -> 20 ms Int16 frames posted to the page (with their RMS level).
// voicebridge-playback: 24 kHz PCM chunks from the page -> a jitter buffer -> the speakers, counting the samples
//                       actually played per assistant item (what `conversation.item.truncate` needs).

const WIRE_RATE = 24000;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const frameMs = options.processorOptions?.frameMs ?? 20;
    this.frameLength = (WIRE_RATE * frameMs) / 1000;
    this.frame = new Int16Array(this.frameLength);
    this.filled = 0;
    this.sumSquares = 0;
    // Resampling: `step` input samples per output sample. Before taking every step-th sample, a moving
    // average over ~step samples keeps what is above 12 kHz from folding back into the band (anti-aliasing).
    this.step = sampleRate / WIRE_RATE;
    this.taps = Math.max(1, Math.round(this.step));
    this.history = new Float32Array(this.taps);
    this.historyAt = 0;
    this.historySum = 0;
    this.phase = 0; // input samples until the next output sample (fractional)
    this.previous = 0; // the last filtered input sample, for interpolation
  }

  process(inputs) {
    const channel = inputs[0]?.[0];
    if (!channel) {
      return true; // no input connected yet (or the track ended): keep the node alive
    }

    for (let i = 0; i < channel.length; i++) {
      this.historySum += channel[i] - this.history[this.historyAt];
      this.history[this.historyAt] = channel[i];
      this.historyAt = (this.historyAt + 1) % this.taps;
      const filtered = this.historySum / this.taps;

      // Output samples fall between `previous` and `filtered`; emit each one whose position is reached.
      while (this.phase <= 1) {
        const value = this.previous + (filtered - this.previous) * this.phase;
        this.push(value);
        this.phase += this.step;
      }

      this.phase -= 1;
      this.previous = filtered;
    }

    return true;
  }

  push(value) {
    const clamped = value > 1 ? 1 : value < -1 ? -1 : value;
    this.frame[this.filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    this.sumSquares += clamped * clamped;
    if (this.filled === this.frameLength) {
      const rms = Math.sqrt(this.sumSquares / this.frameLength);
      const pcm = this.frame.buffer;
      this.port.postMessage({ type: "frame", pcm, rms }, [pcm]); // transferred: `frame` is detached now
      this.frame = new Int16Array(this.frameLength);
      this.filled = 0;
      this.sumSquares = 0;
    }
  }
}

class PlaybackProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const prebufferMs = options.processorOptions?.prebufferMs ?? 60;
    this.prebuffer = Math.round((WIRE_RATE * prebufferMs) / 1000);
    this.chunks = []; // { item, samples: Float32Array, offset }
    this.queued = 0; // wire-rate samples waiting in `chunks`
    this.ended = new Set(); // items whose last chunk has arrived (play them out without prebuffering)
    this.playing = false;
    this.step = WIRE_RATE / sampleRate; // wire samples per output sample
    this.a = 0; // interpolation runs between the samples `a` and `b`
    this.b = 0;
    this.phase = 1; // needs a new sample before the first output
    this.item = null; // the item of `b`: the one whose audio is playing
    this.played = new Map(); // item -> wire samples played
    this.totalPlayed = 0;
    this.underruns = 0;
    this.fade = 0; // output samples left in the fade-out after a flush
    this.fadeLength = Math.round(sampleRate * 0.004);
    this.fadeFrom = 0;
    this.reportEvery = Math.round(sampleRate * 0.05);
    this.sinceReport = 0;
    this.port.onmessage = (event) => this.onMessage(event.data);
  }

  onMessage(message) {
    switch (message.type) {
      case "chunk": {
        const pcm = new Int16Array(message.pcm);
        const samples = new Float32Array(pcm.length);
        for (let i = 0; i < pcm.length; i++) {
          samples[i] = pcm[i] / 0x8000;
        }
        this.chunks.push({ item: message.item, samples, offset: 0 });
        this.queued += samples.length;
        break;
      }
      case "end":
        this.ended.add(message.item);
        break;
      case "flush": {
        // Stop at once: drop everything queued, fade the current sample to zero over 4 ms (no click), and
        // tell the page exactly how much of the playing item was heard.
        const item = this.item;
        // Playing, waiting in the buffer, or starved mid-item (more was coming): all of it is taken back.
        const wasPlaying = this.playing || this.queued > 0 || (item !== null && !this.ended.has(item));
        this.fadeFrom = this.a + (this.b - this.a) * Math.min(this.phase, 1);
        this.fade = this.playing ? this.fadeLength : 0;
        this.chunks = [];
        this.queued = 0;
        this.playing = false;
        this.a = this.b = 0;
        this.phase = 1;
        this.item = null;
        this.port.postMessage({
          type: "flushed",
          id: message.id,
          item,
          wasPlaying,
          played: item === null ? 0 : (this.played.get(item) ?? 0),
          totalPlayed: this.totalPlayed,
          time: currentTime,
        });
        break;
      }
      case "forget":
        this.played.delete(message.item);
        this.ended.delete(message.item);
        break;
    }
  }

  // The next wire sample, or undefined when the buffer ran dry.
  take() {
    while (this.chunks.length > 0) {
      const chunk = this.chunks[0];
      if (chunk.offset < chunk.samples.length) {
        const value = chunk.samples[chunk.offset++];
        this.queued--;
        if (chunk.item !== this.item) {
          this.item = chunk.item;
          this.port.postMessage({ type: "started", item: chunk.item, time: currentTime });
        }
        this.played.set(chunk.item, (this.played.get(chunk.item) ?? 0) + 1);
        this.totalPlayed++;
        return value;
      }
      this.chunks.shift();
      if (this.chunks.length === 0 && this.ended.has(chunk.item)) {
        this.port.postMessage({ type: "drained", item: chunk.item, played: this.played.get(chunk.item) ?? 0 });
      }
    }
    return undefined;
  }

  process(_, outputs) {
    const output = outputs[0];
    const left = output[0];
    if (!this.playing) {
      const head = this.chunks[0];
      if (this.queued >= this.prebuffer || (head && this.ended.has(this.chunks[this.chunks.length - 1].item))) {
        this.playing = true;
      }
    }

    for (let i = 0; i < left.length; i++) {
      if (this.fade > 0) {
        left[i] = (this.fadeFrom * this.fade) / this.fadeLength;
        this.fade--;
        continue;
      }

      if (!this.playing) {
        left[i] = 0;
        continue;
      }

      while (this.phase >= 1) {
        const next = this.take();
        if (next === undefined) {
          break;
        }
        this.a = this.b;
        this.b = next;
        this.phase -= 1;
      }

      if (this.phase >= 1) {
        // Ran dry mid-stream: hold silence and wait for the prebuffer again. The interpolation state is kept,
        // so the audio resumes from exactly where it stopped.
        this.playing = false;
        if (!this.ended.has(this.item)) {
          this.underruns++;
        }
        left[i] = 0;
        continue;
      }

      left[i] = this.a + (this.b - this.a) * this.phase;
      this.phase += this.step;
    }

    for (let c = 1; c < output.length; c++) {
      output[c].set(left);
    }

    this.sinceReport += left.length;
    if (this.sinceReport >= this.reportEvery) {
      this.sinceReport = 0;
      this.port.postMessage({
        type: "progress",
        item: this.item,
        played: this.item === null ? 0 : (this.played.get(this.item) ?? 0),
        totalPlayed: this.totalPlayed,
        queued: this.queued,
        underruns: this.underruns,
        playing: this.playing,
      });
    }

    return true;
  }
}

registerProcessor("voicebridge-capture", CaptureProcessor);
registerProcessor("voicebridge-playback", PlaybackProcessor);
