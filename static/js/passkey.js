// e-finance API access: passkeys (WebAuthn) on the pages that offer them. A form marked
// data-passkey="create" (set up a passkey) or "get" (use one) carries the server's options as JSON in
// data-passkey-options; on submit this asks the browser's own dialog and puts its answer, as JSON, into
// the form's hidden field «passkey», then sends the form. The server checks everything. No inline
// script (CSP); without this file the form is sent without an answer and the page says what to do.
"use strict";

(() => {
  const toBytes = (text) => {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
  };
  const toText = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const withIds = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  const creationOptions = (options) => ({
    ...options,
    challenge: toBytes(options.challenge),
    user: { ...options.user, id: toBytes(options.user.id) },
    excludeCredentials: withIds(options.excludeCredentials),
  });
  const requestOptions = (options) => ({
    ...options,
    challenge: toBytes(options.challenge),
    allowCredentials: withIds(options.allowCredentials),
  });

  const answer = (credential) => {
    const response = credential.response;
    const json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) json.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(json);
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const form of document.querySelectorAll("form[data-passkey]")) {
      const field = form.querySelector("input[name=passkey]");
      const failed = form.querySelector("[data-passkey-failed]");
      const unsupported = form.querySelector("[data-passkey-unsupported]");
      if (!window.PublicKeyCredential && unsupported) unsupported.hidden = false;
      form.addEventListener("submit", async (event) => {
        if (field.value) return; // the answer is in: send it
        const name = form.querySelector("input[name=name]");
        if (name && !name.value.trim()) return; // the server asks for the name first
        event.preventDefault();
        if (!window.PublicKeyCredential) {
          if (unsupported) unsupported.hidden = false;
          return;
        }
        const options = JSON.parse(form.dataset.passkeyOptions);
        if (failed) failed.hidden = true;
        try {
          const credential = form.dataset.passkey === "create"
            ? await navigator.credentials.create({ publicKey: creationOptions(options) })
            : await navigator.credentials.get({ publicKey: requestOptions(options) });
          field.value = answer(credential);
        } catch (error) {
          // Cancelled, timed out, or refused by the browser: the page says so; nothing is sent.
          if (failed) {
            failed.hidden = false;
            failed.focus();
          }
          return;
        }
        form.submit();
      });
    }
  });
})();
