// The completion screen: a clock that ticks (a screenshot cannot keep up), a short tone and
// a vibration. The text on screen says everything; sound and vibration only add to it.
const clock = document.getElementById("live-clock");

function showTime() {
  const now = new Date();
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: "Asia/Tokyo" };
  clock.textContent = now.toLocaleTimeString(clock.dataset.locale === "en" ? "en-GB" : "ja-JP", options);
}

function tone() {
  try {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    const audio = new Context();
    const beep = audio.createOscillator();
    const volume = audio.createGain();
    beep.frequency.value = 880;
    volume.gain.setValueAtTime(0.15, audio.currentTime);
    volume.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    beep.connect(volume).connect(audio.destination);
    beep.start();
    beep.stop(audio.currentTime + 0.4);
  } catch (error) {
    // no sound on this device: the screen says it all
  }
}

if (clock) {
  showTime();
  setInterval(showTime, 1000);
  if (navigator.vibrate) navigator.vibrate([120, 60, 120]);
  tone();
}
