// A form that moves value is sent once: the button is disabled after the first tap (the
// server's idempotency key makes a second send harmless anyway).
document.querySelectorAll("form").forEach((form) => {
  form.addEventListener("submit", () => {
    form.querySelectorAll("button[type=submit]").forEach((b) => {
      setTimeout(() => { b.disabled = true; }, 0);
    });
  });
});
