// The till: amount → scan the customer's code → (card: PIN) → result.
import { clockTime, fetchJson, keepAwake, money, playSound, announce, reference, text } from "./common.js";
import { keypad } from "./keypad.js";
import { Scanner } from "./scanner.js";

const $ = (id) => document.getElementById(id);
const steps = ["step-amount", "step-scan", "step-pin", "step-result"];
const MAX_AMOUNT = 10000000;
const scanner = new Scanner($("scanner-video"));
let attempt = null; // {key, body}: one payment attempt; a retry resends it as it was
let scanned = null; // the code read: {kind: "token"|"card", text}

function show(step, focus) {
  steps.forEach((id) => { $(id).hidden = id !== step; });
  if (focus) $(focus).focus();
}

// --- 1. amount ---------------------------------------------------------------------------
const amountPad = keypad($("amount-keypad"), {
  maxLength: 8,
  onChange(value) {
    const amount = Number(value || "0");
    $("amount-value").textContent = amount.toLocaleString("ja-JP");
    $("to-scan").disabled = !(amount >= 1 && amount <= MAX_AMOUNT);
  },
});
const amount = () => Number(amountPad.value || "0");

$("to-scan").addEventListener("click", () => startScan());

// --- 2. scan -----------------------------------------------------------------------------
async function startScan() {
  $("scan-amount").textContent = money(amount());
  $("to-request").href = `/merchant/request?amount=${amount()}`;
  $("camera-trouble").hidden = true;
  $("scanner-message").textContent = text("camera-starting");
  show("step-scan", "scan-heading");
  try {
    const scanning = scanner.scan();
    $("scanner-message").textContent = text("scanning");
    const code = await scanning;
    if (code) useCode(code);
  } catch {
    scanner.stop();
    $("scanner-message").textContent = "";
    $("camera-trouble").hidden = false;
    announce($("camera-trouble").querySelector("h3").textContent, "warning");
  }
}

function useCode(raw) {
  const code = raw.trim();
  if (code.startsWith("MGP1.")) { scanned = { kind: "token", text: code }; pay(); }
  else if (code.startsWith("MGC1.")) { scanned = { kind: "card", text: code }; askPin(); }
  else {
    const isShop = code.startsWith("MGR1.") || /\/m\/[^/]+/.test(code);
    $("scanner-message").textContent = text(isShop ? "shop-code" : "not-meguri");
    announce(text(isShop ? "shop-code" : "not-meguri"), "warning");
    playSound("ng");
    setTimeout(() => { if (!$("step-scan").hidden) startScan(); }, 2500);
  }
}

$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = $("code-input").value;
  $("code-input").value = "";
  if (value.trim()) { scanner.stop(); useCode(value); }
});
$("camera-retry").addEventListener("click", () => startScan());
$("scan-cancel").addEventListener("click", () => { scanner.stop(); show("step-amount"); });

// --- 3. card PIN -------------------------------------------------------------------------
const pinPad = keypad($("pin-keypad"), {
  maxLength: 6,
  leadingZero: true,
  onChange(value) {
    document.querySelectorAll(".pin-dot").forEach((dot, i) => dot.classList.toggle("pin-dot-on", i < value.length));
    $("pin-count").textContent = text("pin-count", { count: value.length });
    $("pin-submit").disabled = value.length < 4;
  },
});

function askPin(message = "") {
  pinPad.reset();
  $("pin-amount").textContent = money(amount());
  $("pin-message").textContent = message;
  $("pin-message").hidden = !message;
  show("step-pin", "pin-heading");
}

$("pin-submit").addEventListener("click", () => pay(pinPad.value));
$("pin-cancel").addEventListener("click", () => { pinPad.reset(); show("step-amount"); });

// --- 4. pay and show the result --------------------------------------------------------
function newAttempt(pin) {
  const body = scanned.kind === "card"
    ? { card: { qr: scanned.text, pin }, amount: amount() }
    : { payment_token: scanned.text, amount: amount() };
  return { key: crypto.randomUUID(), body };
}

async function pay(pin) {
  attempt = newAttempt(pin);
  pinPad.reset();
  await send();
}

async function send() {
  for (const id of ["pin-submit", "result-retry"]) $(id).disabled = true;
  try {
    const paid = await fetchJson("/v1/merchant/payments", {
      method: "POST", body: attempt.body, headers: { "Idempotency-Key": attempt.key },
    });
    succeeded(paid);
  } catch (error) {
    failed(error);
  } finally {
    $("result-retry").disabled = false;
  }
}

function setResult(ok, title, detail) {
  $("result").className = `result ${ok ? "result-ok" : "result-ng"}`;
  $("result-title").textContent = title;
  $("result-amount").textContent = money(attempt.body.amount);
  $("result-detail").textContent = detail;
  $("result-reference").textContent = "";
  $("result-time").textContent = "";
  $("result-retry").hidden = true;
  $("result-pin-again").hidden = true;
  show("step-result", "result-title");
  playSound(ok ? "ok" : "ng");
}

function succeeded(paid) {
  setResult(true, text("paid"), "");
  $("result-reference").textContent = text("reference", { reference: reference(paid.operation_id) });
  $("result-time").textContent = text("time", { time: clockTime(paid.created_at) });
  $("result").dataset.operationId = paid.operation_id;
  announce(`${text("paid")} ${money(paid.amount)}`, "success");
  attempt = null;
}

function reason(error) {
  if (!error.problem) return ["network", {}];
  const p = error.problem;
  const slugs = {
    "insufficient-balance": ["insufficient", { spendable: money(p.spendable ?? 0) }],
    "wrong-pin": ["wrong-pin", {}],
    "pin-locked": ["locked", {}],
    "invalid-code": ["invalid-code", {}],
    "not-found": ["card-unknown", {}],
    "account-unavailable": ["unavailable", {}],
    "limit-exceeded": ["limit", { remaining: money(p.remaining ?? 0) }],
    "rate-limited": ["busy", {}],
    "ledger-busy": ["busy", {}],
    "request-in-progress": ["busy", {}],
    "unauthenticated": ["signed-out", {}],
  };
  return slugs[String(p.type || "").split("/").pop()] || ["other", {}];
}

function failed(error) {
  const [key, values] = reason(error);
  const detail = `${text(key, values)} ${text("nothing-charged")}`;
  setResult(false, text("not-paid"), detail);
  // The same attempt again (same key: it cannot pay twice) when the answer was lost
  // or the service was busy; a wrong PIN is a new attempt with the PIN typed again.
  $("result-retry").hidden = !["network", "busy"].includes(key);
  $("result-pin-again").hidden = key !== "wrong-pin";
  announce(`${text("not-paid")} ${detail}`, "error");
}

$("result-retry").addEventListener("click", () => send());
$("result-pin-again").addEventListener("click", () => askPin(text("wrong-pin")));
$("next-payment").addEventListener("click", () => {
  attempt = null;
  scanned = null;
  amountPad.reset();
  show("step-amount");
  $("amount-heading").focus?.();
});

keepAwake($("awake-note"));
