// A 3×4 keypad (.keypad, buttons with data-key) typing digits into a string.
export function keypad(element, { maxLength, onChange, leadingZero = false }) {
  let value = "";
  element.addEventListener("click", (event) => {
    const key = event.target.closest("[data-key]")?.dataset.key;
    if (!key) return;
    if (key === "clear") value = "";
    else if (key === "back") value = value.slice(0, -1);
    else if (value.length < maxLength && !(value === "" && key === "0" && !leadingZero)) value += key;
    onChange(value);
  });
  return {
    reset() { value = ""; onChange(value); },
    get value() { return value; },
  };
}
