// masks: WebAuthn ceremonies for the buttons "Use a passkey" and "Add a passkey".
// Served by masks itself under the page CSP (script-src 'self'); nothing inline, nothing
// from elsewhere. A button carries data-webauthn (register, authenticate or passwordless)
// and data-options (where to ask for the ceremony's options); its form carries the CSRF
// token and a hidden "credential" field that receives the browser's answer, then is posted.
'use strict';

(function () {
  const toBytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  const toText = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const withIds = (list) => (list || []).map((c) => ({ ...c, id: toBytes(c.id) }));

  function creation(options) {
    return { ...options, challenge: toBytes(options.challenge), user: { ...options.user, id: toBytes(options.user.id) }, excludeCredentials: withIds(options.excludeCredentials) };
  }

  function request(options) {
    return { ...options, challenge: toBytes(options.challenge), allowCredentials: withIds(options.allowCredentials) };
  }

  function answer(credential) {
    const response = credential.response;
    const json = { id: credential.id, rawId: toText(credential.rawId), type: credential.type, clientExtensionResults: credential.getClientExtensionResults(), authenticatorAttachment: credential.authenticatorAttachment || undefined, response: { clientDataJSON: toText(response.clientDataJSON) } };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = typeof response.getTransports === 'function' ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) json.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(json);
  }

  function say(button, message) {
    let note = button.form.querySelector('.webauthn-error');
    if (!note) {
      note = document.createElement('p');
      note.className = 'error webauthn-error';
      note.setAttribute('role', 'alert');
      button.form.prepend(note);
    }
    note.textContent = message;
  }

  async function ceremony(button) {
    const form = button.form;
    const purpose = button.dataset.webauthn;
    const body = new URLSearchParams({ csrf: form.elements.csrf.value, purpose });
    const reply = await fetch(button.dataset.options, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body, credentials: 'same-origin' });
    if (!reply.ok) return say(button, 'This page has expired. Reload it and try again.');
    const options = await reply.json();
    const credential = purpose === 'register' ? await navigator.credentials.create({ publicKey: creation(options) }) : await navigator.credentials.get({ publicKey: request(options) });
    if (!credential) return say(button, 'No passkey was chosen. Try again, or use another way.');
    form.elements.credential.value = answer(credential);
    form.submit();
  }

  for (const button of document.querySelectorAll('button[data-webauthn]')) {
    if (!window.PublicKeyCredential) {
      button.hidden = true;
      continue;
    }
    button.addEventListener('click', () => {
      button.disabled = true;
      ceremony(button)
        .catch(() => say(button, 'The passkey did not answer, or you cancelled. Try again, or use another way.'))
        .finally(() => {
          button.disabled = false;
        });
    });
  }
})();
