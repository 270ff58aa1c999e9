// The demo page: wires voicebridge-client.js to the controls. Everything protocol-related lives in the module.
import { VoiceBridgeClient } from "./voicebridge-client.js";

const $ = (id) => document.getElementById(id);
const ui = {
  state: $("state"), connect: $("connect"), hangup: $("hangup"), mute: $("mute"), level: $("level"),
  token: $("token"), error: $("error"), transcript: $("transcript"), latency: $("latency"),
  sent: $("sent"), played: $("played"), interruptions: $("interruptions"), say: $("say"), saySend: $("say-send"),
};

// The client asks for bridge events: the page shows the server's tool calls as they happen.
const client = new VoiceBridgeClient();
window.voiceBridgeDemo = { client }; // for the browser tests and the console
const lines = new Map(); // item id -> <li>

client.addEventListener("state", ({ detail: { state } }) => {
  ui.state.textContent = state === "reconnecting" ? "reconnecting…" : state;
  ui.state.dataset.state = state;
  const busy = state === "connecting" || state === "connected" || state === "reconnecting" || state === "closing";
  ui.connect.disabled = busy;
  ui.hangup.disabled = !busy;
  ui.mute.disabled = state !== "connected";
  ui.say.disabled = ui.saySend.disabled = state !== "connected";
  if (state === "closed") {
    ui.level.style.width = "0";
  }
});

client.addEventListener("transcript", ({ detail: { role, item, text, final } }) => {
  let line = lines.get(item);
  if (!line) {
    line = document.createElement("li");
    line.className = role;
    line.dataset.item = item;
    lines.set(item, line);
    ui.transcript.append(line);
  }
  line.textContent = text;
  line.classList.toggle("partial", !final);
});

client.addEventListener("tool", ({ detail: { callId, name, outcome, durationMs } }) => {
  let line = lines.get(callId);
  if (!line) {
    line = document.createElement("li");
    line.className = "tool";
    line.dataset.call = callId;
    lines.set(callId, line);
    ui.transcript.append(line);
  }
  line.textContent = outcome === null ? `${name}: running…` : `${name}: ${outcome} (${Math.round(durationMs)} ms)`;
  line.classList.toggle("partial", outcome === null);
});

client.addEventListener("interrupted", ({ detail }) => {
  lines.get(detail.item)?.classList.add("interrupted");
  ui.interruptions.textContent = String(client.stats.interruptions.length);
});

client.addEventListener("latency", ({ detail: { turn, firstAudioMs } }) => {
  const entry = document.createElement("li");
  entry.textContent = `turn ${turn}: ${firstAudioMs} ms`;
  entry.dataset.ms = String(firstAudioMs);
  ui.latency.append(entry);
});

client.addEventListener("level", ({ detail: { rms } }) => {
  // 0 dBFS .. -60 dBFS mapped onto the bar
  const db = rms > 0 ? 20 * Math.log10(rms) : -60;
  ui.level.style.width = `${Math.max(0, Math.min(100, ((db + 60) / 60) * 100))}%`;
});

client.addEventListener("error", ({ detail: { message } }) => {
  ui.error.textContent = message;
  ui.error.hidden = false;
});

ui.connect.addEventListener("click", async () => {
  ui.error.hidden = true;
  client.options.token = ui.token.value.trim() || undefined;
  try {
    await client.connect();
  } catch {
    // already shown through the "error" event
  }
});

ui.hangup.addEventListener("click", () => client.hangUp());

$("say-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = ui.say.value.trim();
  if (!text) {
    return;
  }
  const line = document.createElement("li");
  line.className = "user typed";
  line.textContent = text;
  ui.transcript.append(line);
  client.say(text);
  ui.say.value = "";
});
$("token-form").addEventListener("submit", (e) => e.preventDefault());

ui.mute.addEventListener("click", () => {
  client.muted = !client.muted;
  ui.mute.setAttribute("aria-pressed", String(client.muted));
  ui.mute.textContent = client.muted ? "Unmute" : "Mute";
});

setInterval(() => {
  const { samplesSent, samplesPlayed } = client.stats;
  ui.sent.textContent = `${(samplesSent / 24000).toFixed(1)} s`;
  ui.played.textContent = `${(samplesPlayed / 24000).toFixed(1)} s`;
}, 250);
