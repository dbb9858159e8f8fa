// Meguri shared shell: small progressive enhancements. Every page works without this file.

const CONTRAST_COOKIE = "meguri_contrast";
const ONE_YEAR = 60 * 60 * 24 * 365;
const CHOICE_PARAMS = ["lang", "contrast"];

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

document.querySelectorAll("[data-contrast-toggle]").forEach((link) => {
  link.addEventListener("click", switchContrast);
});
announceInitialStatus();
tidyAddress();
