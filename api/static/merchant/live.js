// Live sales: each payment and refund of the shop appears as it commits (SSE). The browser's
// EventSource reconnects by itself and sends Last-Event-ID: nothing is missed or doubled.
import { clockTime, keepAwake, money, playSound, reference, text } from "./common.js";

const $ = (id) => document.getElementById(id);
const list = $("live-sales");
const connection = $("live-connection");
const pending = [];
let flushTimer = null;
let total = Number($("today-total").dataset.total || "0");

function seen(event) {
  const selector = event.kind === "payment"
    ? `[data-operation-id="${event.operation_id}"]`
    : `[data-refund-id="${event.operation_id}"]`;
  return list.querySelector(selector) !== null;
}

function row(event) {
  const li = document.createElement("li");
  li.className = `live-row live-new${event.kind === "refund" ? " live-refund" : ""}`;
  const time = span("live-time", clockTime(event.at));
  if (event.kind === "refund") {
    li.dataset.refundId = event.operation_id;
    const of = text("reference-short", { reference: reference(event.refund_of) });
    li.append(time, span("live-amount", `−${money(event.amount)}`), span("live-ref", `${text("refund-label")} · ${of}`));
    return li;
  }
  li.dataset.operationId = event.operation_id;
  const link = document.createElement("a");
  link.className = "live-link";
  link.href = `/merchant/payments/${event.operation_id}`;
  link.append(time, span("live-amount", money(event.amount)), span("live-ref", text("reference-short", { reference: event.reference })));
  li.append(link);
  return li;
}

function span(className, content) {
  const s = document.createElement("span");
  s.className = className;
  s.textContent = content;
  return s;
}

// Several payments at once are announced together, not one by one.
function flush() {
  flushTimer = null;
  if (pending.length === 1) {
    const e = pending[0];
    $("live-announcer").textContent = text(e.kind === "refund" ? "new-refund" : "new-payment", { amount: money(e.amount) });
  } else if (pending.length > 1) {
    $("live-announcer").textContent = text("new-payments", { count: pending.length, total: money(total) });
  }
  pending.length = 0;
}

function received(message) {
  const event = JSON.parse(message.data);
  total = event.today_total;
  $("today-total").textContent = money(total);
  if (seen(event)) return;
  list.prepend(row(event));
  $("live-empty").hidden = true;
  pending.push(event);
  if (event.kind === "payment") playSound("chime");
  flushTimer = flushTimer || setTimeout(flush, 1500);
}

// One plain line; its mark (● ⚠ ✗, merchant.css) says the state as well as its colour.
function say(key, kind) {
  connection.className = `live-connection live-connection-${kind}`;
  connection.textContent = text(key);
}

function connect() {
  const source = new EventSource("/v1/merchant/events", { withCredentials: true });
  source.onopen = () => say("connected", "ok");
  source.onmessage = received;
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      say("ended", "bad"); // signed out (401): the browser does not retry
    } else {
      say("reconnecting", "warn");
    }
  };
}

connect();
keepAwake(null);
