// e-finance API access: the few lines of behaviour the pages need. No inline scripts (CSP).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // The language switcher submits itself on change; its button stays for browsers without JS.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const el of document.querySelectorAll(".js-hidden")) el.hidden = true;

  // A form that must not be sent twice (double click): disable its buttons once submitted.
  for (const form of document.querySelectorAll("form[data-single-submit]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    });
  }

  // Validity presets: choosing one shows its date in the date field; typing a date chooses the date.
  // Without JS the chosen radio button decides on the server alike.
  for (const group of document.querySelectorAll("[data-validity]")) {
    const date = group.querySelector("input[name=valid_until]");
    const own = group.querySelector("input[name=validity][value=date]");
    for (const radio of group.querySelectorAll("input[name=validity][data-valid-until]")) {
      radio.addEventListener("change", () => {
        if (radio.checked && date) date.value = radio.dataset.validUntil;
      });
    }
    if (date && own) date.addEventListener("input", () => { own.checked = true; });
  }

  // Copy buttons: copy the target field's value to the clipboard.
  for (const button of document.querySelectorAll("button[data-copy-target]")) {
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        document.execCommand("copy");
      }
      button.textContent = button.dataset.copiedLabel;
    });
  }

  // The page that shows a new token replaces its own history entry with the key list, so that a
  // reload or a return through the history never re-sends the creation form nor shows the token.
  const forget = document.querySelector("[data-forget-url]");
  if (forget) {
    history.replaceState(null, "", forget.dataset.forgetUrl);
    // Browsers may keep even a no-store page in the back/forward cache: empty the token when the
    // page is left, and reload (the list) if it is ever shown again from that cache.
    window.addEventListener("pagehide", () => {
      for (const field of document.querySelectorAll("input.token")) field.value = "";
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) location.replace(forget.dataset.forgetUrl);
    });
  }
});
