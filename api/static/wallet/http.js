// The wallet's JSON helpers are the shell's (meguri.js: same-origin credentials, the page's
// CSRF token, a refusal rejects with an Error carrying `.problem` and `.status`).
import { announce, fetchJson } from "../meguri.js";

export const say = announce;

export function postJson(path, body) {
  return fetchJson(path, { method: "POST", body: body ?? {} });
}
