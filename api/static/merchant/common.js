// Shared by the shop app's pages: talking to /v1 with the session cookie, the status
// region, sounds (never alone: every sound comes with words on screen), the screen wake lock.

const messages = document.getElementById("merchant-messages");

export function text(key, values = {}) {
  const name = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  const template = (messages && messages.dataset[name]) || "";
  return template.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : ""));
}

export function money(value, unit) {
  const u = unit === undefined ? messages?.dataset.coinUnit || "" : unit;
  return `${Number(value).toLocaleString("ja-JP")}\u00a0${u}`;
}

export function reference(operationId) {
  return String(operationId % 10000).padStart(4, "0");
}

export function clockTime(iso) {
  const at = new Date(iso);
  return at.toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo" });
}

// Talking to /v1 and the status region are the shell's (meguri.js): a refusal rejects with
// an Error carrying `.problem` (problem+json), a lost connection with a TypeError (the
// caller may retry with the same key).
export { announce, fetchJson } from "../meguri.js";

// --- sound ------------------------------------------------------------------------------
let audio = null;

export function unlockSound() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return false;
  audio = audio || new Context();
  if (audio.state === "suspended") audio.resume();
  return true;
}

function tone(frequency, start, length, type = "sine") {
  const osc = audio.createOscillator();
  const gain = audio.createGain();
  osc.type = type;
  osc.frequency.value = frequency;
  gain.gain.setValueAtTime(0.0001, audio.currentTime + start);
  gain.gain.exponentialRampToValueAtTime(0.3, audio.currentTime + start + 0.02);
  gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + start + length);
  osc.connect(gain).connect(audio.destination);
  osc.start(audio.currentTime + start);
  osc.stop(audio.currentTime + start + length + 0.05);
}

export function playSound(kind) {
  if (!audio || audio.state !== "running") return;
  if (kind === "ok") { tone(880, 0, 0.15); tone(1320, 0.16, 0.3); }
  else if (kind === "ng") { tone(220, 0, 0.25, "square"); tone(180, 0.3, 0.35, "square"); }
  else tone(1040, 0, 0.2);
  if (navigator.vibrate) navigator.vibrate(kind === "ng" ? [200, 100, 200] : 120);
}

// Any tap on the page may switch the sound on (browsers allow it only after a gesture).
document.addEventListener("pointerdown", unlockSound, { once: true });

// --- keep the screen on -----------------------------------------------------------------
let lock = null;

export async function keepAwake(note) {
  const show = (key) => { if (note) { note.textContent = text(key); note.hidden = false; } };
  if (!("wakeLock" in navigator)) { show("awake-off"); return false; }
  try {
    lock = await navigator.wakeLock.request("screen");
    show("awake-on");
    return true;
  } catch {
    show("awake-off");
    return false;
  }
}

document.addEventListener("visibilitychange", () => {
  if (lock && document.visibilityState === "visible") keepAwake(null);
});
