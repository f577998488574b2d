// The day on the phone: routes kept in IndexedDB, actions queued (each with its own
// Idempotency-Key and the time it happened), shown at once, sent in order through sync/.
import * as api from "./api.js";
import * as store from "./store.js";
import { t, tf } from "./i18n.js";

export const events = new EventTarget();
const DETAIL_KEYS = ["name", "members", "address", "access_notes", "phone", "lat", "lon",
  "hand_over", "collect", "note"];
const HOURS_AFTER = Number(document.body.dataset.detailsHours || "6");

function changed() { events.dispatchEvent(new Event("change")); }

export function notice(text) {
  events.dispatchEvent(new CustomEvent("notice", { detail: text }));
}

function pad(n) { return String(Math.floor(Math.abs(n))).padStart(2, "0"); }

// Now, as ISO 8601 with the phone's offset ("2026-11-25T10:40:00+05:00").
export function nowIso() {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:`
    + `${pad(d.getMinutes())}:${pad(d.getSeconds())}${off >= 0 ? "+" : "-"}${pad(off / 60)}:${pad(off % 60)}`;
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(16).slice(2)}-${Math.random().toString(16).slice(2)}`;
}

// A route action (start, finish) or a stop action (arrive, complete, fail).
export async function act(type, target, body = {}) {
  const scope = type === "start" || type === "finish" ? "route" : "stop";
  await store.enqueue({ kind: "action", key: newKey(), type, [scope]: target, body,
    happened_at: nowIso() });
  changed();
  drain();
}

// Any other POST (a concern, an absence): sent on its own with its key, queued the same way.
export async function post(path, body, label) {
  await store.enqueue({ kind: "post", key: newKey(), path, body, label, happened_at: nowIso() });
  changed();
  drain();
}

// The stop as it is on the phone: the server's last word plus what is waiting to be sent.
export function overlay(stop, queue) {
  const view = { ...stop, pending: false };
  for (const item of queue) {
    if (item.kind !== "action" || item.stop !== stop.id) continue;
    view.pending = true;
    if (item.type === "arrive" && view.status === "planned") view.status = "arrived";
    if (item.type === "complete") {
      view.status = "completed";
      view.items_delivered = (item.body.delivered || []).length;
      view.delivered_codes = item.body.delivered || [];
      view.collected_codes = item.body.collected || [];
    }
    if (item.type === "fail") {
      view.status = "failed";
      view.fail_reason = item.body.reason;
    }
  }
  return view;
}

export function routeStatus(route, queue) {
  let status = route.status;
  for (const item of queue) {
    if (item.kind === "action" && item.route === route.id) {
      if (item.type === "start" && status === "published") status = "started";
      if (item.type === "finish") status = "finished";
    }
  }
  return status;
}

let draining = null;

export function drain() {
  if (!draining) draining = doDrain().finally(() => { draining = null; changed(); });
  return draining;
}

async function doDrain() {
  let items = await store.queue();
  while (items.length) {
    if (!navigator.onLine) return;
    const head = items[0];
    if (head.kind === "post") {
      try {
        await api.call("POST", head.path, { body: head.body, key: head.key });
      } catch (error) {
        if (error instanceof api.ApiError && error.status >= 400 && error.status < 500
            && error.status !== 401 && error.status !== 429) {
          notice(tf("Not accepted: %(why)s", { why: error.message }));
        } else {
          return;
        }
      }
      await store.unqueue(head.seq);
      items = items.slice(1);
      continue;
    }
    const batch = [];
    for (const item of items) {
      if (item.kind !== "action") break;
      batch.push(item);
    }
    let answer;
    try {
      answer = await api.call("POST", "sync/", { body: { actions: batch.map((item) => {
        const action = { key: item.key, type: item.type, body: item.body,
          happened_at: item.happened_at };
        if (item.stop !== undefined) action.stop = item.stop;
        if (item.route !== undefined) action.route = item.route;
        return action;
      }) } });
    } catch (error) {
      return;  // offline, refused sign-in or a server outage: everything stays queued
    }
    const byKey = new Map(answer.results.map((result) => [result.key, result]));
    for (const item of batch) {
      const result = byKey.get(item.key);
      if (!result) return;
      await apply(item, result);
      await store.unqueue(item.seq);
    }
    items = items.slice(batch.length);
  }
}

async function apply(item, result) {
  const body = result.body || {};
  if (result.status >= 200 && result.status < 300) {
    const routeId = body.route ? body.route.id : item.route;
    const stored = routeId ? await store.route(routeId) : null;
    if (stored) {
      if (body.route) Object.assign(stored, { status: body.route.status, version: body.route.version });
      if (body.stop) {
        const stop = stored.stops.find((s) => s.id === body.stop.id);
        if (stop) {
          Object.assign(stop, body.stop);
          if (body.loans) stop.items_delivered = body.loans.length;
        }
      }
      await store.putRoute(stored);
    }
    return;
  }
  if (body.code === "stop.not_on_your_route") {
    await dropStop(item.stop, t("it was moved to another volunteer"));
  } else if (!["stop.already_completed", "stop.already_failed"].includes(body.code)) {
    notice(tf("Not accepted: %(why)s", { why: body.message || body.code }));
  }
}

async function dropStop(stopId, why) {
  for (const route of await store.routes()) {
    const stop = route.stops.find((s) => s.id === stopId);
    if (!stop) continue;
    route.stops = route.stops.filter((s) => s.id !== stopId);
    await store.putRoute(route);
    await store.deleteDraft(stopId);
    notice(tf("Stop %(number)s (%(where)s) is no longer yours: %(why)s",
      { number: stop.number, where: addressLine(stop) || "—", why }));
  }
}

export function addressLine(stop) {
  const a = stop.address;
  if (!a) return "";
  const parts = [a.settlement, [a.street, a.house].filter(Boolean).join(" ")];
  if (a.apartment) parts.push(tf("apt. %(number)s", { number: a.apartment }));
  return parts.filter(Boolean).join(", ");
}

function addDays(iso, days) {
  const d = new Date(`${iso}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

// Today's routes and the next working day's (the first of the next few days with a route).
export async function refreshRoutes() {
  const today = await api.call("GET", "me/routes/");
  const listed = [...today.routes];
  for (let ahead = 1; ahead <= 4; ahead += 1) {
    const next = await api.call("GET", `me/routes/?date=${addDays(today.date, ahead)}`);
    if (next.routes.length) { listed.push(...next.routes); break; }
  }
  await store.set("today", today.date);
  const ids = new Set();
  for (const item of listed) {
    const route = await api.call("GET", `routes/${item.id}/`);
    route.fetched_at = Date.now();
    await store.putRoute(route);
    ids.add(route.id);
  }
  const queue = await store.queue();
  for (const old of await store.routes()) {
    const waiting = queue.some((q) => q.route === old.id
      || old.stops.some((s) => s.id === q.stop));
    if (!ids.has(old.id) && !waiting) await store.deleteRoute(old.id);
  }
  await pruneDetails();
  changed();
}

// The reader's details stay on the phone no longer than the API shows them.
export async function pruneDetails() {
  const now = Date.now();
  for (const route of await store.routes()) {
    const until = route.details_until ? Date.parse(route.details_until)
      : Date.parse(`${route.date}T23:59:59Z`) + HOURS_AFTER * 3600 * 1000;
    if (route.details_visible && now <= until) continue;
    let stripped = false;
    for (const stop of route.stops) {
      for (const key of DETAIL_KEYS) {
        if (key in stop) { delete stop[key]; stripped = true; }
      }
      stop.details = false;
    }
    if (stripped || route.details_visible) {
      route.details_visible = false;
      await store.putRoute(route);
    }
    for (const stop of route.stops) await store.deleteDraft(stop.id);
  }
}

const CHANGE_WORDS = {
  stop_removed: "it was moved to another volunteer",
  stop_cancelled: "the visit was cancelled",
  route_cancelled: "the route was cancelled",
};

// The change feed: a stop moved away disappears with a word why.
export async function pollChanges() {
  let cursor = await store.get("cursor");
  const first = cursor === undefined;
  let any = false;
  for (;;) {
    const answer = await api.call("GET", `changes/?since=${cursor || 0}`);
    for (const change of answer.changes) {
      any = true;
      if (first) continue;
      if (change.kind === "stop_removed" || change.kind === "stop_cancelled") {
        await dropStop(change.stop, t(CHANGE_WORDS[change.kind]));
      } else if (change.kind === "route_cancelled") {
        const route = await store.route(change.route);
        if (route) {
          await store.deleteRoute(change.route);
          notice(tf("The route of %(date)s: %(why)s", { date: route.date, why: t(CHANGE_WORDS.route_cancelled) }));
        }
      }
    }
    cursor = answer.cursor;
    await store.set("cursor", cursor);
    if (!answer.more) break;
  }
  return any;
}
