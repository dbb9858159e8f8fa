import { keepAwake, playSound, text, unlockSound } from "./common.js";

const button = document.getElementById("start-button");
const note = document.getElementById("start-note");

button.addEventListener("click", async () => {
  button.disabled = true;
  const sound = unlockSound();
  const awake = await keepAwake(note);
  if (sound) {
    playSound("chime");
    note.textContent = `${text("sound-on")} ${note.textContent}`;
    note.hidden = false;
  }
  sessionStorage.setItem("merchant-started", "1");
  // When the screen cannot stay on, the note stays for the shopkeeper to read; the link
  // below goes on to the till.
  if (awake) location.assign(button.dataset.next);
  else button.disabled = false;
});
