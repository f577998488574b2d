// The mobile API: JSON with the access token, a refresh (which rotates the refresh token:
// the new one is kept each time) when an answer is 401.
import * as store from "./store.js";

const BASE = document.body.dataset.api;

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || "";
    this.body = body || {};
  }
}

export class Offline extends Error {}

let language = "ru";
export function setLanguage(lang) { language = lang; }

async function raw(method, path, { body, token, key } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": language };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers["Idempotency-Key"] = key;
  let response;
  try {
    response = await fetch(BASE + path, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit", cache: "no-store",
    });
  } catch (error) {
    throw new Offline(String(error));
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

let refreshing = null;

async function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const tokens = await store.get("tokens");
      if (!tokens) throw new ApiError(401, { code: "auth.token_invalid" });
      const fresh = await raw("POST", "auth/refresh/", { body: { refresh: tokens.refresh } });
      await store.set("tokens", fresh);
      return fresh;
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

// A call as the signed-in volunteer; one refresh and retry on 401.
export async function call(method, path, options = {}) {
  const tokens = await store.get("tokens");
  if (!tokens) throw new ApiError(401, { code: "auth.token_invalid" });
  try {
    return await raw(method, path, { ...options, token: tokens.access });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  const fresh = await refresh();
  return raw(method, path, { ...options, token: fresh.access });
}

export function signIn(path, body) {
  return raw("POST", path, { body });
}

export async function signOut() {
  const tokens = await store.get("tokens");
  if (tokens) {
    try { await raw("POST", "auth/sign-out/", { body: { refresh: tokens.refresh } }); } catch (e) { /* offline: the token ends by itself */ }
  }
}
