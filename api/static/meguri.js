// Meguri shared shell: small progressive enhancements. Every page works without this file.
//
// Section scripts use the helpers by importing the STABLE path:
//
//   import { fetchJson, announce } from "/static/meguri.js";
//
// base.html loads this file with a content-hashed URL (asset_url: /static/meguri.js?v=…) so
// a new release is never stale; a section module importing "/static/meguri.js" gets a second
// copy of this module under the plain URL (an import map would unify them, but an inline
// import map is blocked by our CSP and browsers do not load external ones). That is harmless:
// the exports are stateless, and the page-wide set-up below (contrast switch, status,
// address tidy-up, session keeper) runs once per page, in whichever copy runs first — the
// hashed one from base.html, as module scripts run in document order.

const CONTRAST_COOKIE = "meguri_contrast";
const ONE_YEAR = 60 * 60 * 24 * 365;
const CHOICE_PARAMS = ["lang", "contrast"];
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

// ---- fetch ---------------------------------------------------------------------------------

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

async function parsedBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { detail: text };
  }
}

// JSON to and from our own /v1 API with the page's session cookie. On an unsafe method the
// page's CSRF token (<meta name="csrf-token">) goes in X-CSRF-Token. Resolves to the parsed
// answer (null for 204); on a status ≥ 400 rejects with an Error carrying `.status` and
// `.problem` (the parsed problem+json: title, detail, …; its detail is the plain message).
export async function fetchJson(path, { method = "GET", body, headers = {} } = {}) {
  const verb = method.toUpperCase();
  const sent = { Accept: "application/json, application/problem+json", ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (UNSAFE.has(verb) && csrfToken()) sent["X-CSRF-Token"] = csrfToken();
  const response = await fetch(path, {
    method: verb,
    headers: sent,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await parsedBody(response);
  if (response.ok) return answer;
  const problem = answer || { title: response.statusText, status: response.status };
  const error = new Error(problem.detail || problem.title || `HTTP ${response.status}`);
  error.status = response.status;
  error.problem = problem;
  throw error;
}

// ---- the status region ---------------------------------------------------------------------

// Put a message in the page's status region (#status, aria-live) so a screen reader reads it
// out. kind: info | success | warning | error. Replaces the message that was there.
export function announce(message, kind = "info") {
  const region = document.getElementById("status");
  if (!region) return;
  const line = document.createElement("p");
  line.className = `status status-${kind}`;
  line.textContent = message;
  region.replaceChildren(line);
}

// ---- contrast, initial status, address -----------------------------------------------------

// Switch the colours in place (no reload, typed input is kept) and remember the choice.
function switchContrast(event) {
  const link = event.currentTarget;
  const chosen = link.dataset.next;
  const next = chosen === "high" ? "normal" : "high";
  event.preventDefault();
  document.body.classList.toggle("theme-high", chosen === "high");
  document.body.classList.toggle("theme-normal", chosen === "normal");
  const secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = `${CONTRAST_COOKIE}=${chosen}; path=/; max-age=${ONE_YEAR}; samesite=lax${secure}`;
  const url = new URL(link.href);
  url.searchParams.set("contrast", next);
  link.href = url.pathname + url.search;
  link.dataset.next = next;
  link.textContent = next === "high" ? link.dataset.labelHigh : link.dataset.labelNormal;
}

// Screen readers announce a live region only when it changes, so a message that came with
// the page itself is put back a moment after load to be read out.
function announceInitialStatus() {
  const region = document.getElementById("status");
  if (!region || !region.textContent.trim()) return;
  const nodes = [...region.childNodes];
  region.replaceChildren();
  setTimeout(() => region.replaceChildren(...nodes), 300);
}

// The choice is in a cookie now: drop ?lang= and ?contrast= so a reload or a shared link
// does not carry it.
function tidyAddress() {
  const url = new URL(location.href);
  if (!CHOICE_PARAMS.some((name) => url.searchParams.has(name))) return;
  CHOICE_PARAMS.forEach((name) => url.searchParams.delete(name));
  history.replaceState(history.state, "", url.pathname + url.search + url.hash);
}

// ---- session keeper ------------------------------------------------------------------------
// A staff or shop session ends after a while unused. Every minute the page asks how long is
// left (GET /v1/auth/web-session, which does not count as use); two minutes before the end an
// alert dialog offers "Stay signed in" (POST …/extend). No timeout that cannot be extended.

const KEEPER_POLL_MS = 60_000;
const KEEPER_WARN_S = 120;
const keeper = { dialog: null, endsAt: 0, tick: 0, poll: 0, returnFocus: null, ended: false };

function keeperTemplate() {
  return document.getElementById("session-keeper");
}

function clock(seconds) {
  const left = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}

function secondsLeft() {
  return (keeper.endsAt - Date.now()) / 1000;
}

function showKeeper() {
  if (keeper.dialog) return;
  const fragment = keeperTemplate().content.cloneNode(true);
  keeper.dialog = fragment.querySelector(".session-keeper");
  keeper.dialog.querySelector("[data-keeper-extend]").addEventListener("click", extendSession);
  keeper.returnFocus = document.activeElement;
  document.body.append(fragment);
  keeper.dialog.querySelector("[data-keeper-extend]").focus();
  keeper.tick = setInterval(updateKeeper, 1000);
  updateKeeper();
}

function hideKeeper() {
  clearInterval(keeper.tick);
  keeper.dialog?.remove();
  keeper.dialog = null;
  const back = keeper.returnFocus;
  if (back && back.isConnected && typeof back.focus === "function") back.focus();
}

function updateKeeper() {
  const left = secondsLeft();
  keeper.dialog.querySelector("[data-keeper-left]").textContent = clock(left);
  if (left <= 0 && !keeper.ended) sessionEnded();
}

function sessionEnded() {
  keeper.ended = true;
  clearTimeout(keeper.poll);
  if (!keeper.dialog) showKeeper();
  clearInterval(keeper.tick);
  const dialog = keeper.dialog;
  dialog.querySelector("[data-keeper-left]").textContent = clock(0);
  dialog.querySelector("#session-keeper-text").textContent = keeperTemplate().dataset.ended;
  dialog.querySelector("[data-keeper-extend]").hidden = true;
  const again = dialog.querySelector("[data-keeper-reload]");
  again.href = location.pathname + location.search;
  again.hidden = false;
  again.focus();
}

async function extendSession() {
  try {
    const answer = await fetchJson("/v1/auth/web-session/extend", { method: "POST" });
    keeper.endsAt = Date.now() + answer.idle_seconds_left * 1000;
    hideKeeper();
    announce(keeperTemplate().dataset.extended, "success");
    schedulePoll(KEEPER_POLL_MS);
  } catch (error) {
    if (error.status === 401) sessionEnded();
    else schedulePoll(5_000);
  }
}

function schedulePoll(delay) {
  clearTimeout(keeper.poll);
  const untilWarning = (secondsLeft() - KEEPER_WARN_S) * 1000;
  const wait = untilWarning > 0 ? Math.min(delay, untilWarning) : delay;
  keeper.poll = setTimeout(pollSession, Math.max(wait, 1000));
}

async function pollSession() {
  try {
    const state = await fetchJson("/v1/auth/web-session");
    keeper.endsAt = Date.now() + state.idle_seconds_left * 1000;
    if (state.idle_seconds_left <= KEEPER_WARN_S) showKeeper();
    else if (keeper.dialog) hideKeeper();
    schedulePoll(KEEPER_POLL_MS);
  } catch (error) {
    if (error.status === 401) sessionEnded();
    else schedulePoll(KEEPER_POLL_MS); // offline for a moment: ask again later
  }
}

// Start keeping the session on this page (done automatically on pages with
// <body data-session-keeper>, which base.html sets whenever the page has a csrf_token).
export function startSessionKeeper() {
  if (!keeperTemplate() || keeper.poll) return;
  keeper.endsAt = Date.now() + 3600_000;
  keeper.poll = setTimeout(pollSession, 0);
}

// ---- forms sent once ------------------------------------------------------------------------
// A form whose submit button has data-submit-once goes to the server once, however often the
// button is tapped (the server's idempotency key covers a reload). The button is not disabled
// (a disabled button's name/value would not be sent); it just says it is busy.

function submitOnce(event) {
  const form = event.target;
  if (event.defaultPrevented || !(form instanceof HTMLFormElement)) return; // sent by a script
  if (!form.querySelector("[data-submit-once]")) return;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
  form.querySelectorAll("[data-submit-once]").forEach((b) => b.setAttribute("aria-disabled", "true"));
}

function allowResend(event) {
  if (!event.persisted) return; // back to a page kept in memory: its forms may be sent again
  document.querySelectorAll("form[data-sent]").forEach((form) => {
    delete form.dataset.sent;
    form.querySelectorAll("[data-submit-once]").forEach((b) => b.removeAttribute("aria-disabled"));
  });
}

// ---- once per page -------------------------------------------------------------------------

function startShell() {
  document.querySelectorAll("[data-contrast-toggle]").forEach((link) => {
    link.addEventListener("click", switchContrast);
  });
  document.addEventListener("submit", submitOnce);
  window.addEventListener("pageshow", allowResend);
  announceInitialStatus();
  tidyAddress();
  const wanted = document.body.hasAttribute("data-session-keeper") || csrfToken();
  if (wanted) startSessionKeeper();
}

if (!document.documentElement.hasAttribute("data-meguri-shell")) {
  document.documentElement.setAttribute("data-meguri-shell", "");
  startShell();
}
