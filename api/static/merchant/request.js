// A code for a fixed amount: shown large with its 5-minute countdown; "paid" when the live
// feed brings a payment of that amount after the code was made.
import { announce, fetchJson, keepAwake, money, playSound } from "./common.js";

const $ = (id) => document.getElementById(id);
const words = $("request-messages").dataset;
let timer = null;
let source = null;
let shown = null; // {amount, expiresAt, since}

function say(key, kind) {
  const message = words[key];
  $("request-state-text").textContent = message;
  $("request-state").className = kind ? `result result-${kind}` : "request-state";
  if (kind) announce(message, kind === "ok" ? "success" : "warning");
}

function tick() {
  const left = Math.max(0, Math.round((shown.expiresAt - Date.now()) / 1000));
  const seconds = String(left % 60).padStart(2, "0");
  $("request-countdown").textContent = words.left.replace("{minutes}", Math.floor(left / 60)).replace("{seconds}", seconds);
  if (left === 0) finish("expired", "ng");
}

function finish(key, kind) {
  clearInterval(timer);
  source?.close();
  say(key, kind);
  if (kind === "ok") $("request-qr").hidden = true;
  playSound(kind);
}

function watch() {
  source?.close();
  source = new EventSource("/v1/merchant/events", { withCredentials: true });
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const after = new Date(event.at).getTime() >= shown.since - 2000;
    if (event.kind === "payment" && event.amount === shown.amount && after) finish("paid", "ok");
  };
}

async function make(event) {
  event.preventDefault();
  const amount = Number($("request-amount").value.replace(/[^0-9]/g, ""));
  if (!(amount >= 1 && amount <= 10000000)) { announce(words.badAmount, "error"); return; }
  try {
    const made = await fetchJson("/v1/merchant/payment-requests", { method: "POST", body: { amount } });
    shown = { amount, expiresAt: new Date(made.expires_at).getTime(), since: Date.now() };
    $("request-qr").src = made.qr_png;
    $("request-qr").hidden = false;
    $("request-amount-shown").textContent = money(amount);
    $("request-show").hidden = false;
    say("waiting", "");
    clearInterval(timer);
    timer = setInterval(tick, 1000);
    tick();
    watch();
  } catch {
    announce(words.failed, "error");
  }
}

$("request-form").addEventListener("submit", make);
$("request-new").addEventListener("click", () => { $("request-show").hidden = true; $("request-amount").focus(); });
keepAwake(null);
