/* The coordinator's day plan: draws the plan from /api/v1/plans/ and changes it through the
   same API. No build step; strings come translated from the page (#plan-data). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("plan-data").textContent);
  var T = data.texts;
  var plan = data.plan;
  var selectedStop = null;
  var polling = null;
  var solvePending = false;
  var COLOURS = ["#d7263d", "#1b77d2", "#2e9e44", "#8e44ad", "#e67e22", "#00897b", "#c2185b",
                 "#5d4037", "#3949ab", "#7cb342", "#f4511e", "#546e7a"];

  function $(id) { return document.getElementById(id); }
  /* Every piece of the page is built from elements and text nodes, never from HTML strings:
     names come from reader cards and must stay text (and the CSP forbids inline style). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else if (k === "background") node.style.background = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  /* A number with its word in the right form ("1 остановка, 2 остановки, 5 остановок"): the
     plural rules of the page's language come with Django's JavaScript catalogue. */
  function count(singular, plural, n) {
    var text = window.django ? window.django.ngettext(singular, plural, n) : (n === 1 ? singular : plural);
    return fmt(text, {n: n});
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  /* A moment as the branch's clock shows it (HH:MM): the branch's zone comes with the page,
     so a browser set to another zone (or UTC) still reads the library's time. */
  var clock = new Intl.DateTimeFormat("en-GB", {hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                                timeZone: data.branch.zone || undefined});
  function time(iso) {
    if (!iso) return "—";
    return clock.format(new Date(iso));
  }

  /* Messages ------------------------------------------------------------------------------ */
  function say(text, kind, list) {
    var box = $("plan-messages");
    box.textContent = "";
    if (!text) return;
    var p = el("p", {className: kind === "error" ? "error" : (kind === "warn" ? "warn" : "ok"), text: text});
    box.appendChild(p);
    if (list && list.length) {
      box.appendChild(el("ul", {className: "warn"}, list.map(function (w) { return el("li", {text: w}); })));
    }
  }
  function errorText(body) {
    if (!body) return T.error;
    var text = body.message || body.detail || T.error;
    var fields = body.fields || {};
    var extra = Object.keys(fields).map(function (k) {
      var v = fields[k];
      return Array.isArray(v) ? v.join(" ") : String(v);
    });
    return extra.length ? text + " " + extra.join(" ") : text;
  }

  function api(method, url, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"Accept": "application/json", "X-CSRFToken": csrf(),
                             "Accept-Language": document.documentElement.lang || "ru"}};
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (json) {
        if (!response.ok) {
          var err = new Error(errorText(json));
          err.body = json;
          throw err;
        }
        return json;
      });
    }, function () { throw new Error(T.network); });
  }
  function fail(err) { say(err.message || T.error, "error"); setBusy(false); }

  /* Map ----------------------------------------------------------------------------------- */
  var map = L.map("plan-map", {zoomControl: true, keyboard: true, attributionControl: true});
  if (data.tiles.url) {
    L.tileLayer(data.tiles.url, {attribution: data.tiles.attribution, maxZoom: 19}).addTo(map);
  } else {
    $("plan-map").classList.add("no-tiles");
  }
  // Leaflet writes the prefix and attributions as HTML: only the settings' fixed text goes there.
  map.attributionControl.setPrefix("Leaflet");
  var layer = L.layerGroup().addTo(map);
  var branchPoint = (data.branch.lat != null && data.branch.lon != null) ? [data.branch.lat, data.branch.lon] : null;
  if (branchPoint) map.setView(branchPoint, 13); else map.setView([48, 67], 5);

  function colour(i) { return COLOURS[i % COLOURS.length]; }

  function drawMap() {
    layer.clearLayers();
    var bounds = [];
    if (branchPoint) {
      L.marker(branchPoint, {title: data.branch.name, alt: data.branch.name, keyboard: false,
        icon: L.divIcon({className: "branch-marker", html: el("span"), iconSize: [16, 16]})}).addTo(layer);
      bounds.push(branchPoint);
    }
    if (!plan) { fit(bounds); return; }
    plan.routes.forEach(function (route, i) {
      var c = colour(i);
      var line = branchPoint ? [branchPoint] : [];
      route.stops.forEach(function (stop, n) {
        if (stop.lat == null || stop.lon == null) return;
        var p = [stop.lat, stop.lon];
        line.push(p); bounds.push(p);
        var label = (n + 1) + ". " + stop.reader.full_name + " — " + time(stop.expected_arrival);
        L.marker(p, {title: label, alt: label, riseOnHover: true,
          icon: L.divIcon({className: "stop-marker", iconSize: [24, 24],
                           html: el("span", {background: c, text: String(n + 1), "data-stop": stop.id})})})
          .on("click", function () { openEditor(stop); })
          .bindTooltip(el("span", {text: label})).addTo(layer);
      });
      if (branchPoint) line.push(branchPoint);
      if (line.length > 1) L.polyline(line, {color: c, weight: 4, opacity: 0.8, interactive: false}).addTo(layer);
    });
    plan.unserved.forEach(function (stop) {
      if (stop.lat == null || stop.lon == null) return;
      var p = [stop.lat, stop.lon];
      bounds.push(p);
      var label = stop.reader.full_name + " — " + stop.unserved_reason_display;
      L.marker(p, {title: label, alt: label,
        icon: L.divIcon({className: "stop-marker unserved", iconSize: [24, 24], html: el("span", {text: "!"})})})
        .on("click", function () { openEditor(stop); })
        .bindTooltip(el("span", {text: label})).addTo(layer);
    });
    fit(bounds);
  }
  function fit(bounds) {
    if (bounds.length > 1) map.fitBounds(bounds, {padding: [30, 30], maxZoom: 16});
    else if (bounds.length === 1) map.setView(bounds[0], 14);
  }

  /* Lists --------------------------------------------------------------------------------- */
  function stopButtons(route, stop, index) {
    if (!data.can_edit) return null;
    var cell = el("td", {className: "actions"});
    var change = el("button", {type: "button", className: "secondary small", text: T.actions,
                               "aria-label": T.actions + ": " + stop.reader.full_name});
    change.addEventListener("click", function () { openEditor(stop); });
    cell.appendChild(change);
    if (route) {
      var up = el("button", {type: "button", className: "secondary small", text: "↑", title: T.up,
                             "aria-label": T.up + ": " + stop.reader.full_name});
      var down = el("button", {type: "button", className: "secondary small", text: "↓", title: T.down,
                               "aria-label": T.down + ": " + stop.reader.full_name});
      if (index === 0) up.disabled = true;
      if (index === route.stops.length - 1) down.disabled = true;
      up.addEventListener("click", function () { resequence(route, index, index - 1); });
      down.addEventListener("click", function () { resequence(route, index, index + 1); });
      cell.appendChild(up); cell.appendChild(down);
    }
    return cell;
  }

  function drawRoutes() {
    var box = $("plan-routes");
    box.textContent = "";
    if (!plan || !plan.routes.length) { box.appendChild(el("p", {className: "muted", text: T.no_routes})); return; }
    plan.routes.forEach(function (route, i) {
      var head = el("div", {className: "route-head"}, [
        el("span", {className: "swatch", background: colour(i), "aria-hidden": "true"}),
        el("h3", {text: route.volunteer.name}),
        el("span", {className: "muted", text: (T.route_status[route.status] || route.status) + " · " +
          count("%(n)s stop", "%(n)s stops", route.stops.length) + " · " + time(route.departure) + "–" + time(route.end) +
          " · " + Math.round(route.distance_m / 100) / 10 + " " + T.distance}),
        el("a", {href: "/api/v1/routes/" + route.id + "/sheet.pdf", target: "_blank", rel: "noopener", text: T.sheet}),
        el("a", {href: "/api/v1/routes/" + route.id + "/map.svg", target: "_blank", rel: "noopener", text: T.map}),
      ]);
      var headRow = el("tr", {}, ["#", T.reader, T.expected, T.window, T.out_back, T.status].map(function (h) {
        return el("th", {scope: "col", text: h});
      }).concat(data.can_edit ? [el("th", {scope: "col"}, [el("span", {className: "visually-hidden", text: T.actions})])] : []));
      var body = el("tbody");
      route.stops.forEach(function (stop, n) {
        var who = el("td", {}, [stop.reader.full_name, el("br"), el("span", {className: "muted", text: stop.address})]);
        if (stop.pinned_volunteer) who.appendChild(el("span", {className: "pin", text: " 📌"}));
        body.appendChild(el("tr", {"data-stop": stop.id, className: "stop-row"}, [
          el("td", {text: String(n + 1)}), who,
          el("td", {text: time(stop.expected_arrival)}),
          el("td", {text: stop.window_start + "–" + stop.window_end}),
          el("td", {text: stop.load_out + " / " + stop.load_back}),
          el("td", {text: T.stop_status[stop.status] || stop.status}),
          stopButtons(route, stop, n),
        ]));
      });
      box.appendChild(el("section", {className: "route", "data-route": route.id,
                                     "aria-label": fmt(T.route_of, {name: route.volunteer.name})}, [
        head, el("table", {className: "stops"}, [el("thead", {}, [headRow]), body])]));
    });
  }

  function drawUnserved() {
    var box = $("plan-unserved");
    box.textContent = "";
    if (!plan || !plan.unserved.length) { box.appendChild(el("p", {className: "muted", text: T.no_unserved})); return; }
    var body = el("tbody");
    plan.unserved.forEach(function (stop) {
      body.appendChild(el("tr", {"data-stop": stop.id, className: "unserved-row"}, [
        el("td", {}, [stop.reader.full_name, el("br"), el("span", {className: "muted", text: stop.address})]),
        el("td", {text: stop.window_start + "–" + stop.window_end}),
        el("td", {className: "reason", text: stop.unserved_reason_display || "—"}),
        stopButtons(null, stop, 0),
      ]));
    });
    var head = el("tr", {}, [T.reader, T.window, T.reason].map(function (h) { return el("th", {scope: "col", text: h}); })
      .concat(data.can_edit ? [el("th", {scope: "col"}, [el("span", {className: "visually-hidden", text: T.actions})])] : []));
    box.appendChild(el("table", {className: "stops"}, [el("thead", {}, [head]), body]));
  }

  function drawState() {
    var state = $("plan-state");
    var figures = $("plan-figures");
    var print = $("plan-print");
    var solve = $("plan-solve"), publish = $("plan-publish");
    if (!plan) {
      state.textContent = T.solve_status.idle;
      figures.textContent = "";
      if (print) print.hidden = true;
      if (publish) publish.disabled = true;
      return;
    }
    state.textContent = T.plan_status[plan.status] + " · " + (T.solve_status[plan.solve_status] || plan.solve_status);
    state.dataset.status = plan.status;
    state.dataset.solve = plan.solve_status;
    var f = plan.figures || {};
    var failed = failedStops();
    figures.textContent = f.served === undefined ? "" :
      [count("%(n)s stop served", "%(n)s stops served", Math.max(f.served - failed, 0))]
      .concat(failed ? [count("%(n)s stop not done", "%(n)s stops not done", failed)] : [])
      .concat([
       count("%(n)s stop not planned", "%(n)s stops not planned", f.unserved),
       count("%(n)s volunteer", "%(n)s volunteers", f.volunteers),
       f.travel_minutes + " " + T.travel, f.distance_km + " " + T.distance]).join(", ");
    if (print) {
      print.hidden = !plan.routes.length;
      print.href = "/api/v1/plans/" + plan.id + "/sheets.pdf";
    }
    if (solve) solve.textContent = plan.routes.length ? T.replan : T.plan;
    // After a re-plan of a published day the new routes are drafts and need publishing again.
    var drafts = plan.routes.some(function (r) { return r.status === "draft"; });
    if (publish) publish.disabled = !(plan.solve_status === "done" && drafts);
  }

  function render() {
    drawState(); drawRoutes(); drawUnserved(); drawMap();
    if (selectedStop) {
      var fresh = findStop(selectedStop.id);
      if (fresh) fillEditor(fresh); else closeEditor();
    }
    // The draft revision banner (plan_revision.js) follows every redraw; the day live
    // (plan_live.js) draws its states over the fresh lists and markers.
    document.dispatchEvent(new CustomEvent("plan:rendered", {detail: {plan: plan}}));
  }

  /* The day live: plan_live.js tells what volunteers did; the plan's stops follow, so the
     summary does not count a failed stop as served and a done stop cannot be edited. */
  function failedStops() {
    var n = 0;
    if (plan) plan.routes.forEach(function (r) { r.stops.forEach(function (s) { if (s.status === "failed") n++; }); });
    return n;
  }
  var LIVE_STATUS = {planned: "planned", on_the_way: "planned", arrived: "arrived", done: "completed", failed: "failed"};
  document.addEventListener("plan:live", function (e) {
    var changed = false;
    (e.detail.stops || []).forEach(function (row) {
      var stop = findStop(row.id);
      var status = LIVE_STATUS[row.state];
      if (stop && status && stop.status !== status) { stop.status = status; changed = true; }
    });
    if (changed) {
      drawState();
      if (selectedStop && selectedStop.status !== "planned" && selectedStop.route) closeEditor();
    }
  });

  /* Solving and progress ------------------------------------------------------------------ */
  function setBusy(busy) {
    ["plan-solve", "plan-publish", "plan-drop-solve"].forEach(function (id) {
      var b = $(id); if (b) b.setAttribute("aria-busy", busy ? "true" : "false");
      if (b && busy) b.disabled = true;
    });
    if (!busy) {
      if ($("plan-solve")) $("plan-solve").disabled = false;
      if ($("plan-drop-solve")) $("plan-drop-solve").disabled = false;
      drawState();
    }
  }
  function showProgress(p) {
    var box = $("plan-progress");
    if (!p) { box.hidden = true; box.textContent = ""; return; }
    box.hidden = false;
    var parts = [T.planning];
    if (p.served !== undefined) {
      parts.push(count("%(n)s stop served", "%(n)s stops served", p.served),
                 count("%(n)s volunteer", "%(n)s volunteers", p.volunteers),
                 p.elapsed + " " + T.elapsed);
    }
    box.textContent = parts.join(" · ");
  }
  function running(p) { return p && (p.solve_status === "queued" || p.solve_status === "running"); }
  // While the planner runs, the page asks for its state alone; the whole plan (routes, stops,
  // readers) is read once, when the planner is done.
  function poll() {
    if (polling) return;
    function stop(err) { clearInterval(polling); polling = null; showProgress(null); fail(err); }
    polling = setInterval(function () {
      api("GET", "/api/v1/plans/" + plan.id + "/progress/").then(function (state) {
        if (!polling) return;  // an answer that came after the wait ended
        if (running(state)) {
          plan.solve_status = state.solve_status; plan.progress = state.progress;
          showProgress(state.progress || {}); return;
        }
        if (solvePending) return;  // the request itself will answer with the plan
        clearInterval(polling); polling = null;
        api("GET", "/api/v1/plans/" + plan.id + "/").then(function (fresh) {
          plan = fresh;
          showProgress(null); setBusy(false); render();
          if (plan.solve_status === "failed") say(T.solve_status.failed, "error");
        }, stop);
      }, stop);
    }, 1000);
  }
  function ensurePlan() {
    if (plan) return Promise.resolve(plan);
    return api("POST", "/api/v1/plans/", {branch: data.branch.id, date: data.date}).then(function (p) { plan = p; return p; });
  }
  function solve(drop) {
    say("");
    setBusy(true);
    showProgress({});
    var limit = parseFloat(($("plan-time-limit") || {}).value) || data.time_limit;
    var body = {time_limit: limit};
    if (drop) body.drop_volunteers = drop;
    // The eager worker answers when done; a real one answers at once and the page polls.
    solvePending = true;
    var started = ensurePlan().then(function (p) {
      poll();
      return api("POST", "/api/v1/plans/" + p.id + "/solve/", body);
    });
    started.then(function (fresh) {
      solvePending = false;
      plan = fresh;
      if (running(plan)) { poll(); return; }
      if (polling) { clearInterval(polling); polling = null; }
      showProgress(null); setBusy(false); render();
      var w = (plan.figures || {}).warnings || [];
      if (plan.solve_status === "failed") say(T.solve_status.failed, "error");
      else if (w.length) say(T.warnings, "warn", w);
      else say(T.solve_status.done + ".", "ok");
    }, function (err) {
      solvePending = false;
      if (polling) { clearInterval(polling); polling = null; }
      showProgress(null); fail(err);
    });
  }
  function publish() {
    say("");
    api("POST", "/api/v1/plans/" + plan.id + "/publish/").then(function (fresh) {
      plan = fresh; render(); say(T.published, "ok");
    }, fail);
  }

  /* Editing a stop ------------------------------------------------------------------------ */
  function findStop(id) {
    if (!plan) return null;
    var found = null;
    plan.routes.forEach(function (r) { r.stops.forEach(function (s) { if (s.id === id) found = s; }); });
    plan.unserved.forEach(function (s) { if (s.id === id) found = s; });
    return found;
  }
  function fillEditor(stop) {
    selectedStop = stop;
    $("plan-edit-stop").textContent = stop.reader.full_name + " — " + stop.address +
      (stop.unserved_reason_display ? " (" + stop.unserved_reason_display + ")" : "");
    $("edit-pin").value = stop.pinned_volunteer ? String(stop.pinned_volunteer) : "";
    var routes = $("edit-route");
    routes.textContent = "";
    plan.routes.forEach(function (r) {
      var o = el("option", {value: String(r.id), text: r.volunteer.name});
      if (r.id === stop.route) o.selected = true;
      routes.appendChild(o);
    });
    $("edit-move-save").disabled = !plan.routes.length;
    var current = plan.routes.filter(function (r) { return r.id === stop.route; })[0];
    $("edit-position").value = current ? stop.sequence || 1 : "";
  }
  function openEditor(stop) {
    if (!data.can_edit) return;
    if (stop.route && stop.status !== "planned") { say(T.locked, "warn"); return; }
    fillEditor(stop);
    var box = $("plan-edit");
    box.hidden = false;
    $("edit-pin").focus();
  }
  function closeEditor() {
    selectedStop = null;
    if ($("plan-edit")) $("plan-edit").hidden = true;
  }
  function reload(message, warnings) {
    return api("GET", "/api/v1/plans/" + plan.id + "/").then(function (fresh) {
      plan = fresh; render();
      if (warnings && warnings.length) say(T.warnings, "warn", warnings); else say(message, "ok");
    }, fail);
  }
  function pin() {
    if (!selectedStop) { say(T.no_stop_selected, "error"); return; }
    var v = $("edit-pin").value;
    api("POST", "/api/v1/stops/" + selectedStop.id + "/pin/", {volunteer: v ? parseInt(v, 10) : null})
      .then(function () { reload(v ? T.pinned : T.unpinned); }, fail);
  }
  function move() {
    if (!selectedStop) { say(T.no_stop_selected, "error"); return; }
    var body = {route: parseInt($("edit-route").value, 10)};
    var pos = parseInt($("edit-position").value, 10);
    if (pos > 0) body.position = pos;
    api("POST", "/api/v1/stops/" + selectedStop.id + "/move/", body)
      .then(function (answer) { reload(T.moved, answer.warnings); }, fail);
  }
  function resequence(route, from, to) {
    var ids = route.stops.map(function (s) { return s.id; });
    var moved = ids.splice(from, 1)[0];
    ids.splice(to, 0, moved);
    api("POST", "/api/v1/routes/" + route.id + "/resequence/", {stops: ids}).then(function (answer) {
      reload(T.resequenced, answer.warnings).then(function () {
        var row = document.querySelector('tr[data-stop="' + moved + '"] button[aria-label^="' + (to < from ? T.up : T.down) + '"]');
        if (row && !row.disabled) row.focus();
      });
    }, fail);
  }

  /* Wiring -------------------------------------------------------------------------------- */
  if ($("plan-solve")) $("plan-solve").addEventListener("click", function () { solve(null); });
  if ($("plan-publish")) $("plan-publish").addEventListener("click", publish);
  if ($("plan-drop-solve")) $("plan-drop-solve").addEventListener("click", function () {
    solve([parseInt($("plan-drop").value, 10)]);
  });
  if ($("edit-pin-save")) $("edit-pin-save").addEventListener("click", pin);
  if ($("edit-move-save")) $("edit-move-save").addEventListener("click", move);
  if ($("edit-close")) $("edit-close").addEventListener("click", closeEditor);
  if ($("plan-edit")) $("plan-edit").addEventListener("keydown", function (e) {
    if (e.key === "Escape") closeEditor();
  });
  render();
  if (plan && running(plan)) { setBusy(true); showProgress(plan.progress || {}); poll(); }
})();
