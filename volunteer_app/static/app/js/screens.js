// The app's screens. Each one fills `view` and may return a function to call when the
// phone's data changed (a sync result, a refreshed route).
import * as api from "./api.js";
import * as store from "./store.js";
import * as sync from "./sync.js";
import { LANGUAGES, nt, t, tf } from "./i18n.js";
import { clock, h, replace } from "./ui.js";

const STATUS = {
  planned: () => t("To visit"),
  arrived: () => t("At the door"),
  completed: () => t("Done"),
  failed: () => t("Not done"),
  cancelled: () => t("Cancelled"),
};
export const FAIL_REASONS = [
  ["not_home", () => t("Nobody at home")],
  ["refused", () => t("Refused")],
  ["unreachable", () => t("Could not get there")],
  ["other", () => t("Other reason")],
];
export const CONCERNS = [
  ["unwell", () => t("Seems unwell")],
  ["fall_or_injury", () => t("A fall or an injury")],
  ["no_heating_or_food", () => t("No heating or no food")],
  ["neglect", () => t("Signs of neglect")],
  ["no_answer_again", () => t("No answer again (second visit)")],
  ["other", () => t("Something else")],
];
const ROUTE_STATUS = {
  published: () => t("Not started"),
  started: () => t("On the way"),
  finished: () => t("Finished"),
};
const word = (table, code) => (table[code] ? table[code]() : t("Unknown"));
const reasonWord = (code) => { const r = FAIL_REASONS.find(([c]) => c === code); return r ? r[1]() : ""; };

function field(label, input, id) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id, text: label }), input);
}

function errorText(error) {
  if (error instanceof api.Offline) return t("No network. Try again when the phone is online.");
  return error.message || t("Something went wrong.");
}

// Sign in ------------------------------------------------------------------------------------

export function signIn(view, { onSignedIn, message, codeFirst }) {
  const status = h("p", { class: "status", role: "status", text: message || "" });
  const done = async (tokens) => {
    await store.set("tokens", tokens);
    onSignedIn();
  };

  const phone = h("input", { type: "tel", autocomplete: "tel", inputmode: "tel", required: true });
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const passwordForm = h("form", {
    class: "card", onsubmit: async (event) => {
      event.preventDefault();
      status.textContent = t("Signing in…");
      try {
        await done(await api.signIn("auth/token/", { phone: phone.value, password: password.value }));
      } catch (error) { status.textContent = errorText(error); }
    },
  }, h("h2", { text: t("Phone and password") }),
  field(t("Phone"), phone, "signin-phone"), field(t("Password"), password, "signin-password"),
  h("button", { type: "submit", class: "primary", text: t("Sign in") }));

  const codePhone = h("input", { type: "tel", autocomplete: "tel", inputmode: "tel", required: true });
  const code = h("input", { type: "text", inputmode: "numeric", autocomplete: "one-time-code",
    maxlength: "6" });
  const codeBox = h("div", { hidden: true }, field(t("Code from SMS"), code, "signin-code"),
    h("button", { type: "button", class: "primary", text: t("Sign in with the code"), onclick: async () => {
      status.textContent = t("Signing in…");
      try {
        await done(await api.signIn("auth/otp/verify/", { phone: codePhone.value, code: code.value }));
      } catch (error) { status.textContent = errorText(error); }
    } }));
  const codeForm = h("form", {
    class: "card", onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api.signIn("auth/otp/request/", { phone: codePhone.value });
        codeBox.hidden = false;
        status.textContent = t("If this number belongs to a volunteer, a code is on its way.");
        code.focus();
      } catch (error) { status.textContent = errorText(error); }
    },
  }, h("h2", { text: t("Code by SMS") }), field(t("Phone"), codePhone, "signin-code-phone"),
  h("button", { type: "submit", text: t("Send me a code") }), codeBox);

  replace(view, h("h1", { text: t("Sign in") }), status,
    codeFirst ? [codeForm, passwordForm] : [passwordForm, codeForm], languagePicker());
}

export async function signInWithLink(token) {
  return api.signIn("auth/link/", { token });
}

// The day ------------------------------------------------------------------------------------

function stopSummary(stop) {
  const lines = [];
  if (stop.items_to_hand_over) lines.push(nt("Hand over %(n)s book", "Hand over %(n)s books", stop.items_to_hand_over));
  if (stop.items_to_collect) lines.push(nt("Collect %(n)s book", "Collect %(n)s books", stop.items_to_collect));
  return lines.join(" · ");
}

function isOpen(stop) { return stop.status === "planned" || stop.status === "arrived"; }

export async function day(view) {
  const queue = await store.queue();
  const routes = (await store.routes()).sort((a, b) => (a.date < b.date ? -1 : 1));
  const today = await store.get("today");
  const parts = [];
  if (!routes.length) {
    parts.push(h("h1", { text: t("Your day") }),
      h("p", { class: "empty", text: navigator.onLine ? t("No published route for today or the next days.")
        : t("No network, and no route kept on this phone yet.") }));
  }
  for (const route of routes) {
    const stops = route.stops.map((s) => sync.overlay(s, queue));
    const done = stops.filter((s) => !isOpen(s)).length;
    const left = stops.length - done;
    const status = sync.routeStatus(route, queue);
    parts.push(h("section", { class: "route", "data-route": route.id },
      h("h1", { text: route.date === today ? tf("Today, %(date)s", { date: route.date })
        : tf("Next working day, %(date)s", { date: route.date }) }),
      h("p", { class: "progress", role: "status" },
        h("strong", { text: tf("Done %(done)s of %(total)s", { done, total: stops.length }) }), " · ",
        nt("%(n)s stop left", "%(n)s stops left", left), " · ", word(ROUTE_STATUS, status)),
      route.details_visible === false ? h("p", { class: "empty", text: t("The readers' details are no longer shown for this route.") }) : null,
      h("div", { class: "actions" },
        status === "published" && route.date === today
          ? h("button", { class: "primary", text: t("Start the route"), onclick: () => sync.act("start", route.id) }) : null,
        status === "started" && left === 0
          ? h("button", { text: t("Finish the route"), onclick: () => sync.act("finish", route.id) }) : null,
        navigator.onLine && stops.some((s) => s.lat) ? h("button", { text: t("Map"), onclick: (event) => {
          event.currentTarget.disabled = true;
          showMap(event.currentTarget.parentNode, route, stops);
        } }) : null),
      h("ol", { class: "stops" }, stops.map((stop) => h("li", { class: `stop ${stop.status}`, "data-stop": stop.id },
        h("a", { href: `#/stop/${stop.id}`, class: "stop-link" },
          h("span", { class: "number", text: String(stop.number) }),
          h("span", { class: "body" },
            h("span", { class: "line1" }, h("strong", { text: sync.addressLine(stop) || tf("Stop %(number)s", { number: stop.number }) })),
            h("span", { class: "line" }, tf("Window %(start)s–%(end)s", { start: stop.window_start, end: stop.window_end }),
              stop.expected_arrival ? ` · ${tf("expected at %(time)s", { time: clock(stop.expected_arrival) })}` : ""),
            stop.name ? h("span", { class: "line", text: [stop.name, ...(stop.members || [])].join(", ") }) : null,
            h("span", { class: "line", text: stopSummary(stop) }),
            h("span", { class: "state" }, word(STATUS, stop.status),
              stop.status === "failed" && stop.fail_reason ? `: ${reasonWord(stop.fail_reason)}` : "",
              stop.pending ? ` · ${t("waiting to send")}` : ""))))))));
  }
  replace(view, ...parts);
}

async function showMap(container, route, stops) {
  const box = h("div", { class: "map", role: "img", "aria-label": t("Map of the route") });
  container.after(box);
  if (!window.L) {
    await new Promise((resolve) => {
      const script = h("script", { src: document.body.dataset.leaflet });
      script.onload = resolve; script.onerror = resolve;
      document.head.appendChild(script);
    });
  }
  if (!window.L) { box.textContent = t("The map could not be loaded."); return; }
  const L = window.L;
  const map = L.map(box);
  const tiles = document.body.dataset.tiles;
  if (tiles) L.tileLayer(tiles, { attribution: document.body.dataset.tilesAttribution, maxZoom: 19 }).addTo(map);
  const points = [];
  if (route.branch && route.branch.lat) points.push([route.branch.lat, route.branch.lon]);
  for (const stop of stops) {
    if (!stop.lat) continue;
    points.push([stop.lat, stop.lon]);
    L.circleMarker([stop.lat, stop.lon], { radius: 12, weight: 3 }).addTo(map)
      .bindTooltip(h("span", { text: `${stop.number}. ${sync.addressLine(stop)}` }), { permanent: true });
  }
  if (points.length > 1) L.polyline(points, { weight: 4 }).addTo(map);
  map.fitBounds(points, { padding: [24, 24] });
}

// One stop ------------------------------------------------------------------------------------

async function findStop(id) {
  for (const route of await store.routes()) {
    const stop = route.stops.find((s) => s.id === id);
    if (stop) return { route, stop };
  }
  return null;
}

function navigateLinks(stop) {
  if (stop.lat === undefined || stop.lat === null) return null;
  const { lat, lon } = stop;
  return h("div", { class: "nav-links" },
    h("a", { class: "button", href: `dgis://2gis.ru/routeSearch/rsType/car/to/${lon},${lat}`, text: "2GIS" }),
    h("a", { class: "button", href: `yandexmaps://maps.yandex.ru/?rtext=~${lat},${lon}`, text: t("Yandex Maps") }),
    h("a", { class: "button", href: `https://www.google.com/maps/dir/?api=1&destination=${lat},${lon}`, text: "Google Maps", rel: "noopener" }),
    h("a", { class: "button", href: `geo:${lat},${lon}`, text: t("Phone's map") }));
}

function addressBlock(stop) {
  const a = stop.address;
  if (!a) return h("p", { class: "empty", text: t("The reader's details are no longer shown.") });
  const rows = [
    [t("Address"), sync.addressLine(stop)],
    [t("Entrance"), a.entrance], [t("Floor"), a.floor === null ? "" : String(a.floor)],
    [t("Door code"), a.door_code],
    [t("Lift"), a.elevator === null ? "" : (a.elevator ? t("yes") : t("no"))],
    [t("Landmark"), a.landmark],
  ].filter(([, value]) => value);
  return h("dl", { class: "address" }, rows.map(([label, value]) => [h("dt", { text: label }), h("dd", { text: value })]));
}

export async function stopScreen(view, id, { go }) {
  const found = await findStop(id);
  if (!found) { go("#/"); return null; }
  const queue = await store.queue();
  const stop = sync.overlay(found.stop, queue);
  const saved = (await store.draft(id)) || { stop: id, delivered: [], collected: [], note: "" };
  const ticks = { delivered: new Set(saved.delivered), collected: new Set(saved.collected) };
  const saveDraft = () => store.putDraft({ stop: id, delivered: [...ticks.delivered],
    collected: [...ticks.collected], note: note.value });
  const status = h("p", { class: "status", role: "status" });
  const note = h("textarea", { rows: "2", value: saved.note, oninput: saveDraft });
  const boxes = new Map();

  const itemRow = (item, set, extra) => {
    const box = h("input", { type: "checkbox", checked: ticks[set].has(item.barcode) });
    box.addEventListener("change", () => {
      if (box.checked) ticks[set].add(item.barcode); else ticks[set].delete(item.barcode);
      saveDraft();
    });
    boxes.set(item.barcode, { box, set, code: item.barcode });
    return h("li", {}, h("label", { class: "tick" }, box,
      h("span", {}, h("strong", { text: item.title }), item.authors ? ` — ${item.authors}` : "",
        h("br"), h("span", { class: "barcode", text: item.barcode }), extra ? ` · ${extra}` : "")));
  };

  const tickCode = (raw) => {
    const code = raw.trim();
    const entry = boxes.get(code)
      || [...boxes.values()].find((e) => e.code.toLowerCase() === code.toLowerCase());
    if (!entry) { status.textContent = tf("%(code)s is not for this door.", { code }); return; }
    entry.box.checked = true;
    ticks[entry.set].add(entry.code);
    saveDraft();
    status.textContent = tf("%(code)s ticked.", { code });
  };

  const next = async () => {
    const fresh = await findStop(id);
    const q = await store.queue();
    const open = fresh ? fresh.route.stops.map((s) => sync.overlay(s, q)).filter(isOpen) : [];
    go(open.length ? `#/stop/${open[0].id}` : "#/");
  };

  const open = isOpen(stop);
  const barcode = h("input", { type: "text", autocomplete: "off", autocapitalize: "characters" });
  const scanner = h("div", { class: "scanner" });
  const doorWork = open && stop.details !== false ? h("section", { class: "card" },
    h("h2", { text: t("At the door") }),
    stop.status === "planned" ? h("button", { class: "primary", text: t("I have arrived"), onclick: () => sync.act("arrive", id) }) : null,
    stop.hand_over && stop.hand_over.length ? [h("h3", { text: t("Hand over") }),
      h("ul", { class: "items" }, stop.hand_over.map((item) => itemRow(item, "delivered", item.for)))] : null,
    stop.collect && stop.collect.length ? [h("h3", { text: t("Collect") }),
      h("ul", { class: "items" }, stop.collect.map((item) => itemRow(item, "collected",
        tf("due %(date)s", { date: item.due_date }))))] : null,
    h("form", { class: "inline", onsubmit: (event) => { event.preventDefault(); tickCode(barcode.value); barcode.value = ""; } },
      field(t("Barcode"), barcode, "stop-barcode"),
      h("button", { type: "submit", text: t("Tick") }),
      "BarcodeDetector" in window ? h("button", { type: "button", text: t("Scan"), onclick: () => scan(scanner, tickCode, status) }) : null),
    scanner,
    field(t("Note"), note, "stop-note"),
    h("button", { class: "primary", text: t("Complete the visit"), onclick: async () => {
      if (stop.status === "planned") await sync.act("arrive", id);
      await sync.act("complete", id, { delivered: [...ticks.delivered], collected: [...ticks.collected], note: note.value });
      await store.deleteDraft(id);
      await next();
    } })) : null;

  const failNote = h("textarea", { rows: "2" });
  const failForm = open ? h("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    const reason = failForm.querySelector("input[name=reason]:checked");
    if (!reason) { status.textContent = t("Choose what happened."); return; }
    await sync.act("fail", id, { reason: reason.value, note: failNote.value });
    await store.deleteDraft(id);
    await next();
  } }, h("h2", { text: t("Could not deliver") }),
  h("fieldset", {}, h("legend", { text: t("What happened?") }),
    FAIL_REASONS.map(([code, label]) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "reason", value: code }), label()))),
  field(t("Note"), failNote, "fail-note"),
  h("button", { type: "submit", text: t("Not delivered") })) : null;

  const concernNote = h("textarea", { rows: "2" });
  const concernKind = h("select", {}, CONCERNS.map(([code, label]) => h("option", { value: code, text: label() })));
  const concern = stop.details !== false ? h("form", { class: "card concern", onsubmit: async (event) => {
    event.preventDefault();
    // Queued with the day's actions (sync/ takes concerns too), so it keeps its place in time.
    await sync.act("concern", id, { kind: concernKind.value, note: concernNote.value });
    concernNote.value = "";
    status.textContent = t("Your concern will reach the library.");
  } }, h("h2", { text: t("Worried about the reader?") }),
  field(t("What worries you"), concernKind, "concern-kind"), field(t("Note"), concernNote, "concern-note"),
  h("button", { type: "submit", text: t("Tell the library") })) : null;

  replace(view,
    h("p", {}, h("a", { href: "#/", class: "back", text: `← ${t("Back to the day")}` })),
    h("h1", { text: `${stop.number}. ${sync.addressLine(stop) || tf("Stop %(number)s", { number: stop.number })}` }),
    h("p", { class: `state ${stop.status}` }, word(STATUS, stop.status),
      stop.status === "failed" && stop.fail_reason ? `: ${reasonWord(stop.fail_reason)}` : "",
      stop.pending ? ` · ${t("waiting to send")}` : ""),
    status,
    stop.name ? h("p", { class: "who" }, h("strong", { text: stop.name }),
      stop.members && stop.members.length ? ` ${tf("and %(names)s", { names: stop.members.join(", ") })}` : "") : null,
    h("p", { text: tf("Window %(start)s–%(end)s", { start: stop.window_start, end: stop.window_end })
      + (stop.expected_arrival ? ` · ${tf("expected at %(time)s", { time: clock(stop.expected_arrival) })}` : "") }),
    addressBlock(stop),
    stop.access_notes && stop.access_notes.length ? h("ul", { class: "notes" }, stop.access_notes.map((n) => h("li", { text: n }))) : null,
    stop.note ? h("p", { class: "note", text: stop.note }) : null,
    stop.phone ? h("a", { class: "button call", href: `tel:${stop.phone.number}` },
      tf("Call %(who)s: %(phone)s", { who: stop.phone.who || "", phone: stop.phone.display })) : null,
    navigateLinks(stop),
    doorWork, failForm, concern);
  return async () => {
    const again = await findStop(id);
    if (!again) { go("#/"); return; }
    const now = sync.overlay(again.stop, await store.queue());
    if (now.status !== stop.status || now.pending !== stop.pending) stopScreen(view, id, { go });
  };
}

async function scan(container, tickCode, status) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (error) { status.textContent = t("The camera is not available."); return; }
  const video = h("video", { playsinline: true, muted: true });
  video.srcObject = stream;
  const stopScan = () => { stream.getTracks().forEach((track) => track.stop()); replace(container); };
  replace(container, video, h("button", { type: "button", text: t("Stop scanning"), onclick: stopScan }));
  await video.play();
  const detector = new window.BarcodeDetector();
  const look = async () => {
    if (!video.srcObject || !container.contains(video)) return;
    try {
      const codes = await detector.detect(video);
      if (codes.length) { tickCode(codes[0].rawValue); stopScan(); return; }
    } catch (error) { /* next frame */ }
    setTimeout(look, 300);
  };
  look();
}

// The volunteer: language, availability, sign out ---------------------------------------------

function languagePicker() {
  const current = localStorage.getItem("lang") || "ru";
  return h("div", { class: "card" }, h("h2", { text: t("Language") }),
    h("div", { class: "langs" }, LANGUAGES.map(([code, name]) => h("button", {
      type: "button", lang: code, "aria-pressed": String(code === current), text: name,
      onclick: () => { localStorage.setItem("lang", code); location.reload(); },
    }))));
}

export async function me(view, { onSignOut }) {
  const status = h("p", { class: "status", role: "status" });
  const days = h("div", { class: "days" });
  const starts = h("input", { type: "date", required: true });
  const ends = h("input", { type: "date", required: true });
  const reason = h("input", { type: "text", maxlength: "200" });
  replace(view, h("h1", { text: t("Me") }), status,
    h("section", { class: "card" }, h("h2", { text: t("When I work") }), days),
    h("form", { class: "card", onsubmit: async (event) => {
      event.preventDefault();
      await sync.post("me/availability/", { kind: "absence", starts_on: starts.value, ends_on: ends.value, reason: reason.value }, "absence");
      status.textContent = t("Your absence will be sent to the library.");
      event.target.reset();
    } }, h("h2", { text: t("I will be away") }),
    field(t("From"), starts, "absence-from"), field(t("To"), ends, "absence-to"),
    field(t("Why (optional)"), reason, "absence-reason"),
    h("button", { type: "submit", text: t("Add the absence") })),
    languagePicker(),
    h("button", { class: "danger", text: t("Sign out"), onclick: onSignOut }));
  try {
    const answer = await api.call("GET", "me/availability/");
    replace(days, h("ul", { class: "calendar" }, answer.days.map((d) => h("li", {},
      h("strong", { text: d.date }), " ",
      d.absent ? t("away") : (d.windows.length ? d.windows.map((w) => `${w.start}–${w.end}`).join(", ") : t("not working"))))),
    answer.absences.length ? [h("h3", { text: t("Absences") }), h("ul", {}, answer.absences.map((a) =>
      h("li", { text: `${a.starts_on} — ${a.ends_on}${a.reason ? `: ${a.reason}` : ""}` })))] : null);
  } catch (error) {
    replace(days, h("p", { class: "empty", text: errorText(error) }));
  }
  return null;
}
