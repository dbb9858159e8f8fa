// The console's menu: a bar on a wide screen, one folded line on a phone (see layout.html).
const WIDE = window.matchMedia("(min-width: 48rem)");

function fit(menu) {
  menu.open = WIDE.matches;
}

for (const menu of document.querySelectorAll("[data-admin-menu]")) {
  fit(menu);
  WIDE.addEventListener("change", () => fit(menu));
}
