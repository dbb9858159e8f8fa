// After activation (and in settings): register a passkey on this phone.
import { passkeysSupported, registerPasskey } from "../passkey.js";
import { postJson, say } from "./http.js";

async function register(event) {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    await registerPasskey(postJson, button.dataset.name || null);
    say(button.dataset.done, "success");
    button.hidden = true;
    if (button.dataset.reload) setTimeout(() => location.reload(), 1500);
  } catch (error) {
    say(button.dataset.failed, "error");
    button.disabled = false;
  }
}

const offer = document.getElementById("offer-passkey");
if (offer && passkeysSupported()) {
  offer.hidden = false;
  document.getElementById("register-passkey").addEventListener("click", register);
}
