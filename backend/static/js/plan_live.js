/* The coordinator's day as it happens: polls /api/v1/plans/{id}/live/ every few seconds and
   draws each stop's state over the lists and markers plan.js made (text only, in place):
   on the way, arrived, done, not done with its reason and note, a concern, late stops; each
   volunteer's progress and last action. Done and failed stops cannot be edited; a failed
   stop offers "plan again" for another day. Times come already written in the branch's zone. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("plan-data").textContent);
  var T = data.texts;
  var EVERY_MS = 3000;
  var planId = null;
  var planDate = data.date;
  var cursor = null;
  var timer = null;
  var busy = false;
  var stops = {};        // the last known state of each stop, by id
  var late = [];
  var volunteers = [];

  function $(id) { return document.getElementById(id); }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function part(parent, className) {
    var node = parent.querySelector("." + className);
    if (!node) {
      node = document.createElement("span");
      node.className = className;
      parent.appendChild(node);
    }
    return node;
  }
  function say(text, kind) {
    var box = $("plan-messages");
    box.textContent = "";
    var p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    box.appendChild(p);
  }

  /* A stop's row and marker -------------------------------------------------------------- */
  function detailOf(row, isLate) {
    var bits = [];
    if (row.state === "failed") bits.push(row.reason + (row.note ? " — " + row.note : ""));
    if (row.concern) bits.push(fmt(T.concern_at, {time: row.concern.at}) + (row.concern.kind ? ": " + row.concern.kind : ""));
    if (isLate) bits.push(fmt(T.late, {time: row.expected}));
    return bits.join(" · ");
  }
  function drawStop(row) {
    var isLate = late.indexOf(row.id) !== -1;
    var tr = document.querySelector('#plan-routes tr[data-stop="' + row.id + '"]');
    if (tr) {
      ["planned", "on_the_way", "arrived", "done", "failed"].forEach(function (s) { tr.classList.remove("live-" + s); });
      tr.classList.add("live-" + row.state);
      tr.classList.toggle("live-late", isLate);
      tr.classList.toggle("live-concern", !!row.concern);
      var cell = tr.cells[5];
      if (cell) {
        part(cell, "live-state").textContent = row.state_display +
          (row.arrived && row.state === "arrived" ? " " + row.arrived : "") +
          (row.finished ? " " + row.finished : "");
        var extra = detailOf(row, isLate);
        var detail = part(cell, "live-detail");
        detail.textContent = extra;
        detail.hidden = !extra;
        // plan.js's own status word gives way to the live one
        Array.prototype.forEach.call(cell.childNodes, function (n) { if (n.nodeType === 3) n.textContent = ""; });
      }
      var actions = tr.querySelector("td.actions");
      if (actions && !row.editable) {
        Array.prototype.forEach.call(actions.querySelectorAll("button:not(.plan-again)"), function (b) {
          b.disabled = true;
          b.title = T.locked;
        });
        if (row.state === "failed") planAgainControls(actions, row);
      }
    }
    var marker = document.querySelector('.stop-marker span[data-stop="' + row.id + '"]');
    if (marker && marker.parentNode) {
      var m = marker.parentNode;
      ["on_the_way", "arrived", "done", "failed"].forEach(function (s) { m.classList.remove("live-" + s); });
      if (row.state !== "planned") m.classList.add("live-" + row.state);
      m.classList.toggle("live-late", isLate);
      m.classList.toggle("live-concern", !!row.concern);
      var label = row.state === "failed" ? fmt(T.not_done, {reason: row.reason}) : row.state_display;
      m.setAttribute("data-state", row.state);
      if (m.title.indexOf(" · ") !== -1) m.title = m.title.split(" · ")[0];
      m.title = m.title + " · " + label;
    }
  }

  /* Plan again for another day --------------------------------------------------------- */
  function nextDay(iso) {
    var d = new Date(iso + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }
  function planAgainControls(cell, row) {
    if (!data.can_edit || cell.querySelector(".plan-again")) return;
    var id = "plan-again-day-" + row.id;
    var label = document.createElement("label");
    label.className = "visually-hidden";
    label.setAttribute("for", id);
    label.textContent = T.plan_again_day;
    var day = document.createElement("input");
    day.type = "date";
    day.id = id;
    day.className = "plan-again-day";
    day.min = nextDay(planDate);
    day.value = nextDay(planDate);
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary small plan-again";
    button.textContent = T.plan_again;
    button.addEventListener("click", function () { planAgain(row.id, day, button); });
    cell.appendChild(label); cell.appendChild(day); cell.appendChild(button);
  }
  function planAgain(stopId, input, button) {
    button.disabled = true;
    fetch("/api/v1/stops/" + stopId + "/plan-again/", {
      method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf(),
                "Accept-Language": document.documentElement.lang || "ru"},
      body: JSON.stringify({date: input.value}),
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) {
        if (!response.ok) {
          button.disabled = false;
          var fields = (body && body.fields) || {};
          say(((body && (body.message || body.detail)) || T.error) +
              (fields.date ? " " + [].concat(fields.date).join(" ") : ""), "error");
          return;
        }
        var parts = body.date.split("-");
        say(fmt(T.planned_again, {date: parts[2] + "." + parts[1] + "." + parts[0]}), "ok");
        input.disabled = true;
      });
    }, function () { button.disabled = false; say(T.network, "error"); });
  }

  /* Volunteers' progress ----------------------------------------------------------------- */
  function drawVolunteers() {
    volunteers.forEach(function (v) {
      var section = document.querySelector('#plan-routes section[data-route="' + v.route + '"]');
      if (!section) return;
      var head = section.querySelector(".route-head");
      if (!head) return;
      var line = section.querySelector(".live-progress");
      if (!line) {
        line = document.createElement("p");
        line.className = "live-progress";
        head.parentNode.insertBefore(line, head.nextSibling);
      }
      line.setAttribute("data-done", String(v.done));
      line.textContent = v.progress + (v.last_action ? " · " + fmt(T.last, {action: v.last_action}) : "");
    });
  }

  function drawAll() {
    Object.keys(stops).forEach(function (id) { drawStop(stops[id]); });
    drawVolunteers();
  }

  /* Polling ------------------------------------------------------------------------------ */
  function poll() {
    if (busy || planId === null) return;
    busy = true;
    var url = "/api/v1/plans/" + planId + "/live/" + (cursor ? "?since=" + encodeURIComponent(cursor) : "");
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json",
                "Accept-Language": document.documentElement.lang || "ru"}})
      .then(function (response) {
        if (response.status === 403 || response.status === 404) { stop(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (body) {
        busy = false;
        if (!body) return;
        cursor = body.cursor;
        late = body.late || [];
        volunteers = body.volunteers || [];
        (body.stops || []).forEach(function (row) { stops[row.id] = row; });
        drawAll();
        document.dispatchEvent(new CustomEvent("plan:live", {detail: body}));
      }, function () { busy = false; });
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; } }
  function start(id) {
    if (planId !== id) { planId = id; cursor = null; stops = {}; }
    if (!timer) timer = setInterval(poll, EVERY_MS);
    poll();
  }

  // plan.js redraws its lists after every change: the live states go back over them.
  document.addEventListener("plan:rendered", function (e) {
    var plan = e.detail.plan;
    if (!plan || plan.status !== "published") { stop(); return; }
    if (plan.id !== planId || !timer) start(plan.id); else drawAll();
  });
  if (data.plan && data.plan.status === "published") start(data.plan.id);
})();
