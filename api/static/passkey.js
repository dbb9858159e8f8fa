// Passkeys in the browser: register one for the signed-in resident, or sign in with one.
// An ES module with no dependencies. `fetchJson(path, body)` is the page's own helper: it
// POSTs `body` as JSON to `path` (with the page's credentials) and resolves to the parsed
// JSON answer, or rejects on an error status.

export function passkeysSupported() {
  return typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

export function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0)).buffer;
}

function descriptors(list) {
  return (list || []).map((c) => ({ ...c, id: fromBase64url(c.id) }));
}

function creationOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    user: { ...json.user, id: fromBase64url(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

function requestOptions(json) {
  return {
    ...json,
    challenge: fromBase64url(json.challenge),
    allowCredentials: descriptors(json.allowCredentials),
  };
}

// The browser's credential as JSON: the fields both ceremonies share, then `response`
// (the ceremony's own fields after clientDataJSON).
function credentialJSON(credential, response) {
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || null,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toBase64url(credential.response.clientDataJSON), ...response },
  };
}

function registrationJSON(credential) {
  const response = credential.response;
  return credentialJSON(credential, {
    attestationObject: toBase64url(response.attestationObject),
    transports: response.getTransports ? response.getTransports() : [],
  });
}

function authenticationJSON(credential) {
  const response = credential.response;
  return credentialJSON(credential, {
    authenticatorData: toBase64url(response.authenticatorData),
    signature: toBase64url(response.signature),
    userHandle: response.userHandle ? toBase64url(response.userHandle) : null,
  });
}

// Register a passkey on this device for the signed-in resident; resolves to the stored
// passkey ({id, name, created_at, last_used_at}).
export async function registerPasskey(fetchJson, name = null) {
  const options = await fetchJson("/v1/me/passkeys/options", {});
  const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
  return fetchJson("/v1/me/passkeys", { credential: registrationJSON(credential), name });
}

// Sign in with any passkey of this site; resolves to the token pair of /v1/auth/resident.
export async function signInWithPasskey(fetchJson) {
  const options = await fetchJson("/v1/auth/passkeys/sign-in/options", {});
  const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
  return fetchJson("/v1/auth/passkeys/sign-in", { credential: authenticationJSON(credential) });
}
