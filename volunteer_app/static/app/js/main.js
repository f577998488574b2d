// The app: language, service worker, hash routes (#/, #/stop/12, #/me, #link=TOKEN), and the
// loop that sends the queue and fetches the day whenever the phone is online.
import * as api from "./api.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { loadCatalogue, nt, t } from "./i18n.js";
import { h, replace } from "./ui.js";
import * as screens from "./screens.js";

const body = document.body;
const view = document.getElementById("app");
const lang = localStorage.getItem("lang") || "ru";
let onChange = null;

function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

async function showPending() {
  const count = (await store.queue()).length;
  const pending = document.getElementById("pending");
  pending.textContent = count ? nt("Waiting to send (%(n)s)", "Waiting to send (%(n)s)", count) : "";
  pending.dataset.count = String(count);
  const net = document.getElementById("net");
  net.textContent = navigator.onLine ? t("Online") : t("Offline");
  net.dataset.online = String(navigator.onLine);
}

function showNotice(text) {
  const box = document.getElementById("notices");
  const item = h("p", { class: "notice" }, h("span", { text }),
    h("button", { type: "button", class: "close", "aria-label": t("Close"), text: "×",
      onclick: () => item.remove() }));
  box.appendChild(item);
}

function nav(active) {
  return h("nav", { class: "tabs" },
    h("a", { href: "#/", class: "button", "aria-current": active === "day" ? "page" : null, text: t("My day") }),
    h("a", { href: "#/me", class: "button", "aria-current": active === "me" ? "page" : null, text: t("Me") }));
}

async function signedIn() { return Boolean(await store.get("tokens")); }

async function route() {
  onChange = null;
  const hash = location.hash.replace(/^#\/?/, "");
  if (hash.startsWith("link=")) {
    const token = decodeURIComponent(hash.slice(5));
    history.replaceState(null, "", location.pathname);
    try {
      await store.set("tokens", await screens.signInWithLink(token));
      await afterSignIn();
    } catch (error) {
      screens.signIn(view, { onSignedIn: afterSignIn, codeFirst: true,
        message: error instanceof api.Offline ? t("No network. Try again when the phone is online.")
          : t("This sign-in link has been used or has expired. Sign in with a code from SMS.") });
    }
    return;
  }
  if (!(await signedIn())) {
    screens.signIn(view, { onSignedIn: afterSignIn });
    return;
  }
  const content = h("div", { class: "screen" });
  const stopMatch = hash.match(/^stop\/(\d+)$/);
  if (stopMatch) {
    replace(view, content, nav("day"));
    onChange = await screens.stopScreen(content, Number(stopMatch[1]), { go });
  } else if (hash === "me") {
    replace(view, content, nav("me"));
    onChange = await screens.me(content, { onSignOut: signOut });
  } else {
    replace(view, content, nav("day"));
    await screens.day(content);
    onChange = () => screens.day(content);
  }
}

async function afterSignIn() {
  await store.del("cursor");
  go("#/");
  await refresh();
}

async function signOut() {
  // Nothing may write to the phone after the wipe: no new refresh, and the running one ends.
  signingOut = true;
  if (refreshing) await refreshing.catch(() => {});
  await api.signOut();
  await store.wipe();
  if ("caches" in window) {
    for (const key of await caches.keys()) {
      if (key === "kniga-app-api") await caches.delete(key);
    }
  }
  if (navigator.serviceWorker && navigator.serviceWorker.controller) {
    navigator.serviceWorker.controller.postMessage({ type: "wipe" });
  }
  document.getElementById("notices").replaceChildren();
  signingOut = false;
  body.dataset.signedOut = "true";
  go("#/");
}

let refreshing = null;
let signingOut = false;
function refresh() {
  if (!refreshing && !signingOut) refreshing = doRefresh().finally(() => { refreshing = null; });
  return refreshing;
}

async function doRefresh() {
  if (!navigator.onLine || !(await signedIn())) return;
  try {
    await sync.drain();
    await sync.pollChanges();
    await sync.refreshRoutes();
  } catch (error) {
    if (error instanceof api.ApiError && error.status === 401) {
      await store.del("tokens");
      showNotice(t("Please sign in again."));
      route();
    }
  } finally {
    body.dataset.synced = String(Date.now());
    await showPending();
  }
}

async function start() {
  document.documentElement.lang = lang;
  api.setLanguage(lang);
  await loadCatalogue(body.dataset.jsi18n, lang);
  document.title = t("Kniga 03: my route");
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {});
  }
  sync.events.addEventListener("change", async () => {
    await showPending();
    if (onChange) await onChange();
  });
  sync.events.addEventListener("notice", (event) => showNotice(event.detail));
  window.addEventListener("hashchange", route);
  window.addEventListener("online", () => { showPending(); refresh(); });
  window.addEventListener("offline", showPending);
  await sync.pruneDetails().catch(() => {});
  await showPending();
  await route();
  body.dataset.ready = "true";
  refresh();
  setInterval(refresh, 30000);
}

start();
