// Sign in with a passkey: passkey.js asks the browser, and the answer is checked by the
// wallet's own route, which starts a cookie session (no tokens are kept in the page).
import { passkeysSupported, signInWithPasskey } from "../passkey.js";
import { postJson, say } from "./http.js";

const SIGN_IN = "/v1/auth/passkeys/sign-in";
const SESSION = "/wallet/passkey-session";

async function viaSession(path, body) {
  const next = new URLSearchParams(location.search).get("next");
  const target = path === SIGN_IN ? SESSION + (next ? `?next=${encodeURIComponent(next)}` : "") : path;
  return postJson(target, body);
}

async function signIn(event) {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const answer = await signInWithPasskey(viaSession);
    location.assign(answer.next || "/wallet/");
  } catch (error) {
    say(button.dataset.failed, "error");
    button.disabled = false;
  }
}

const box = document.getElementById("passkey-sign-in");
if (box && passkeysSupported()) {
  box.hidden = false;
  document.getElementById("passkey-button").addEventListener("click", signIn);
}
