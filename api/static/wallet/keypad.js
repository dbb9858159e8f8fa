// The amount keypad: big keys for digits, 00 and ← (delete). The typed field stays usable
// with the phone's own keyboard too.
const input = document.getElementById("amount");
const keypad = document.getElementById("keypad");

function press(key) {
  const max = Number(input.dataset.max || "10000000");
  let digits = input.value.replace(/[^0-9]/g, "");
  if (key === "back") digits = digits.slice(0, -1);
  else if (!(digits === "" && key.startsWith("0")) && Number(digits + key) <= max) digits += key;
  input.value = digits;
}

if (input && keypad) {
  keypad.hidden = false;
  keypad.addEventListener("click", (event) => {
    const button = event.target.closest("[data-key]");
    if (button) press(button.dataset.key);
  });
}
