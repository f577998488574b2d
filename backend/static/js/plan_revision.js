/* The draft revision of a published day: after a re-plan the volunteers go on seeing the
   published routes; this banner says in words what the draft would change and publishes or
   discards it (/api/v1/plans/{id}/revision/). Loaded before plan.js; redrawn on each
   "plan:rendered" event it sends. Text only (textContent), never HTML. */
(function () {
  "use strict";
  var box = document.getElementById("plan-revision");
  if (!box) return;  // not a coordinator: nothing to publish
  var list = document.getElementById("plan-revision-diff");
  var publish = document.getElementById("plan-revision-publish");
  var discard = document.getElementById("plan-revision-discard");
  var messages = document.getElementById("plan-messages");
  var planId = null;
  var busy = false;

  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function call(method, url) {
    return fetch(url, {method: method, credentials: "same-origin",
                       headers: {"Accept": "application/json", "X-CSRFToken": csrf(),
                                 "Accept-Language": document.documentElement.lang || "ru"}})
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          if (!response.ok) throw new Error((body && body.message) || response.statusText);
          return body;
        });
      });
  }
  function say(text, kind) {
    if (!messages) return;
    messages.textContent = "";
    var p = document.createElement("p");
    p.className = kind;
    p.textContent = text;
    messages.appendChild(p);
  }
  function draw(diff) {
    list.textContent = "";
    if (!diff || !diff.exists) { box.hidden = true; return; }
    (diff.summary || []).forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      list.appendChild(li);
    });
    box.hidden = false;
    publish.disabled = busy;  // a draft is always something to publish
    discard.disabled = busy;
  }
  function load() {
    if (!planId) { draw(null); return; }
    call("GET", "/api/v1/plans/" + planId + "/revision/").then(draw, function () { draw(null); });
  }
  function act(button, what) {
    if (!planId || busy) return;
    busy = true;
    publish.disabled = discard.disabled = true;
    call("POST", "/api/v1/plans/" + planId + "/revision/" + what + "/").then(function () {
      say(button.dataset.done, "ok");
      // The published routes changed (or not): redraw the whole page from the server.
      window.location.reload();
    }, function (err) {
      busy = false;
      say(err.message, "error");
      load();
    });
  }
  publish.addEventListener("click", function () { act(publish, "publish"); });
  discard.addEventListener("click", function () { act(discard, "discard"); });
  document.addEventListener("plan:rendered", function (event) {
    var plan = event.detail && event.detail.plan;
    var id = plan && plan.status === "published" ? plan.id : null;
    if (plan && (plan.solve_status === "queued" || plan.solve_status === "running")) return;
    planId = id;
    load();
  });
}());
