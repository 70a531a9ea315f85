// e-finance API access: the few lines of behaviour the pages need. No inline scripts (CSP); every page
// works without this file (the menu is open, copying is done by selecting the read-only field, the form
// shows its errors at the top).
"use strict";

document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // The header's menu: folded on a phone, open on a wide screen (a <details>, open by default for
  // browsers without JS).
  const menu = document.querySelector("details[data-menu]");
  if (menu) {
    const narrow = window.matchMedia("(max-width: 759px)");
    const fit = () => { menu.open = !narrow.matches; };
    fit();
    narrow.addEventListener("change", fit);
  }

  // The language switcher submits itself on change; its button stays for browsers without JS.
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const el of document.querySelectorAll(".js-hidden")) el.hidden = true;

  // A form that came back with errors: the summary at its top takes the focus.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  // A form that must not be sent twice (double click): disable its buttons once submitted.
  for (const form of document.querySelectorAll("form[data-single-submit]")) {
    form.addEventListener("submit", () => {
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    });
  }

  // A form that makes a key (its nonce is single-use): reached again through the history it shows
  // what the server sent, never what was typed before, which one click would turn into a second
  // key; restored from the back/forward cache (its nonce spent, its button disabled) it is fetched anew.
  const freshForms = document.querySelectorAll("form[data-fresh-on-return]");
  if (freshForms.length) {
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) {
        location.reload();
        return;
      }
      const [navigation] = performance.getEntriesByType("navigation");
      if (navigation && navigation.type === "back_forward") for (const form of freshForms) form.reset();
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

  // Radio groups marked data-tab-radios: every choice is a Tab stop of its own (a browser gives the
  // whole group one, and the other choices need the arrow keys); Space checks the focused one.
  for (const group of document.querySelectorAll("[data-tab-radios]")) {
    const radios = [...group.querySelectorAll("input[type=radio]")];
    radios.forEach((radio, index) => {
      radio.addEventListener("keydown", (event) => {
        if (event.key !== "Tab" || event.altKey || event.ctrlKey || event.metaKey) return;
        const next = radios[index + (event.shiftKey ? -1 : 1)];
        if (next) {
          event.preventDefault();
          next.focus();
        }
      });
    });
  }

  // Copy buttons: the target field's value to the clipboard, without focusing or selecting the field
  // (a screen reader would read the secret aloud). A polite live region says «Copied»; the button's
  // label comes back after a few seconds.
  const status = document.getElementById("copy-status");
  const copied = new Set();
  for (const button of document.querySelectorAll("button[data-copy-target]")) {
    const label = button.textContent;
    let timer = null;
    button.addEventListener("click", async () => {
      const field = document.getElementById(button.dataset.copyTarget);
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        // No clipboard API (an old browser, plain HTTP): the browser's own copy of a selection, then
        // the focus back on the button.
        field.select();
        document.execCommand("copy");
        field.setSelectionRange(0, 0);
        button.focus();
        button.dataset.copyFallback = "1";
      }
      copied.add(button.dataset.copyTarget);
      button.textContent = button.dataset.copiedLabel;
      if (status) {
        status.textContent = "";
        window.setTimeout(() => { status.textContent = button.dataset.copiedAnnouncement || button.dataset.copiedLabel; }, 50);
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        button.textContent = label;
        if (status) status.textContent = "";
      }, 4000);
    });
  }

  // The page that shows a new token replaces its own history entry with the key list, so that a
  // reload or a return through the history never re-sends the creation form nor shows the token.
  const forget = document.querySelector("[data-forget-url]");
  if (forget) {
    history.replaceState(null, "", forget.dataset.forgetUrl);
    // Leaving before the token was copied: ask first («Close» and the header's links by a dialog of
    // our own words, anything else by the browser's own question).
    const tokenId = forget.dataset.tokenField;
    const question = forget.dataset.confirmLeave;
    let leaving = false;
    for (const link of document.querySelectorAll("a[href]")) {
      link.addEventListener("click", (event) => {
        if (copied.has(tokenId) || link.target || link.getAttribute("href").startsWith("#")) return;
        if (window.confirm(question)) {
          leaving = true;
        } else {
          event.preventDefault();
        }
      });
    }
    window.addEventListener("beforeunload", (event) => {
      if (leaving || copied.has(tokenId)) return;
      event.preventDefault();
      event.returnValue = question;
    });
    // Browsers may keep even a no-store page in the back/forward cache: empty the token when the
    // page is left, and reload (the list) if it is ever shown again from that cache.
    window.addEventListener("pagehide", () => {
      for (const field of document.querySelectorAll(".token")) field.value = "";
    });
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) location.replace(forget.dataset.forgetUrl);
    });
  }

  // «Activity»: an entry's action or details cut to one line get their whole text as a tooltip.
  for (const cell of document.querySelectorAll("table.activity td.what, table.activity td.details")) {
    if (cell.scrollWidth > cell.clientWidth) cell.title = cell.textContent.replace(/\s+/g, " ").trim();
  }
});
