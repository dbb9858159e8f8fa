// My code: a one-time payment code from POST /v1/me/payment-token, renewed ~15 s before it
// ends, with a visible countdown. A screen reader hears the time left once a minute (and
// at 30 s), never every second. Hidden tab: no renewal; shown again: a fresh code at once.
import { postJson, say } from "./http.js";

const RENEW_BEFORE_MS = 15_000;
const area = document.getElementById("code-area");
const img = document.getElementById("payment-code");
const shown = document.getElementById("countdown");
const spoken = document.getElementById("countdown-spoken");
const renewButton = document.getElementById("renew-code");
let expiresAt = 0;
let ticker = null;
let lastSpoken = "";
let busy = false;

function text(template, n) {
  return template.replace("{n}", String(n));
}

function tick() {
  const left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
  shown.textContent = text(area.dataset.seconds, left);
  if (lastSpoken === "" || left === 30 || (left > 0 && left % 60 === 0)) {
    const message = left > 60 ? text(area.dataset.minutes, Math.ceil(left / 60)) : text(area.dataset.seconds, left);
    if (message !== lastSpoken) {
      spoken.textContent = message;
      lastSpoken = message;
    }
  }
  if (expiresAt - Date.now() <= RENEW_BEFORE_MS) renew();
}

function stop() {
  if (ticker) clearInterval(ticker);
  ticker = null;
}

async function renew() {
  if (busy || document.hidden) return;
  busy = true;
  stop();
  shown.textContent = area.dataset.renewing;
  try {
    const code = await postJson("/v1/me/payment-token", {});
    img.src = code.qr_png;
    img.hidden = false;
    img.dataset.expiresAt = code.expires_at;
    expiresAt = Date.parse(code.expires_at);
    lastSpoken = "";
    ticker = setInterval(tick, 1000);
    tick();
  } catch (error) {
    img.hidden = true;
    say(area.dataset.failed, "error");
  } finally {
    busy = false;
  }
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    stop();
    img.hidden = true;
    shown.textContent = area.dataset.paused;
  } else {
    renew();
  }
});
renewButton.addEventListener("click", () => renew());
renew();
