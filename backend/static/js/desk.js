/* The phone desk by keyboard: arrows and Enter in the match lists, adding order lines,
   and the incoming-call banner. Everything works without it too, one page load slower. */
(function () {
  "use strict";

  function picks(input) {
    var box = document.querySelector(input.dataset.results);
    return box ? Array.prototype.slice.call(box.querySelectorAll(".desk-pick")) : [];
  }

  function ownerInput(element) {
    var box = element.closest(".desk-results");
    return box ? document.querySelector('[data-results="#' + box.id + '"]') : null;
  }

  // Alt+letter: the page's accesskeys, by the key's place so a Russian or Kazakh layout works.
  function shortcut(event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || !/^Key[A-Z]$/.test(event.code)) {
      return false;
    }
    var element = document.querySelector('[accesskey="' + event.code.slice(3).toLowerCase() + '"]');
    if (!element) { return false; }
    event.preventDefault();
    element.focus();
    if (element.tagName === "A" || element.tagName === "BUTTON") { element.click(); }
    return true;
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (shortcut(event)) { return; }
    if (target.matches && target.matches("input[data-results]")) {
      var list = picks(target);
      if (event.key === "ArrowDown" && list.length) {
        event.preventDefault();
        list[0].focus();
      } else if (event.key === "Enter") {
        if (target.id === "title-q") {
          event.preventDefault();  // never submits the order from the title search
          if (list.length) { list[0].click(); }
        } else if (list.length) {
          event.preventDefault();
          list[0].click();
        }
      }
      return;
    }
    if (target.classList && target.classList.contains("desk-pick")) {
      var input = ownerInput(target);
      var items = input ? picks(input) : [];
      var at = items.indexOf(target);
      if (event.key === "ArrowDown" && at < items.length - 1) {
        event.preventDefault(); items[at + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        if (at > 0) { items[at - 1].focus(); } else if (input) { input.focus(); }
      } else if (event.key === "Escape" && input) {
        event.preventDefault(); input.focus();
      }
      return;
    }
    if (target.id === "wish-text" && event.key === "Enter") {
      event.preventDefault();
      addWish();
      return;
    }
    var typing = /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName);
    if (event.key === "/" && !typing) {
      var search = document.getElementById("desk-q");
      event.preventDefault();
      if (search) { search.focus(); search.select(); }
      else { window.location.href = (document.querySelector(".desk-back") || {}).href || "/desk/"; }
    }
  });

  // Order lines ------------------------------------------------------------------------------
  var lines = document.getElementById("order-lines");

  function lineItem(label, fields, warning) {
    var li = document.createElement("li");
    li.className = "line";
    Object.keys(fields).forEach(function (name) {
      var hidden = document.createElement("input");
      hidden.type = "hidden"; hidden.name = name; hidden.value = fields[name];
      li.appendChild(hidden);
    });
    var span = document.createElement("span");
    span.textContent = label;
    if (warning) {
      // No free copy: said the moment the title is added, with what keeping it means.
      var wait = document.createElement("span");
      wait.className = "desk-wait warn small";
      wait.setAttribute("role", "status");
      wait.textContent = warning + " " + lines.dataset.waits;
      span.appendChild(document.createTextNode(" "));
      span.appendChild(wait);
    }
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "secondary small desk-remove";
    remove.textContent = "×";
    remove.setAttribute("aria-label", lines.dataset.remove + ": " + label);
    li.appendChild(span); li.appendChild(remove);
    lines.appendChild(li);
  }

  function addWish() {
    var text = document.getElementById("wish-text");
    var form = text.form;
    if (!text.value.trim()) { text.focus(); return; }
    var format = form.querySelector("select[name=wish_format]");
    var language = form.querySelector("select[name=wish_language]");
    var details = [format, language].filter(function (s) { return s.value; })
      .map(function (s) { return s.options[s.selectedIndex].text; });
    lineItem(lines.dataset.wish + ": " + text.value.trim() + (details.length ? " (" + details.join(", ") + ")" : ""),
             {wish_text: text.value.trim(), wish_format: format.value, wish_language: language.value});
    text.value = "";
    text.focus();
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest(".desk-add-title");
    if (add && lines) {
      var taken = lines.querySelector('input[name=title][value="' + add.dataset.title + '"]');
      if (!taken) { lineItem(add.dataset.label, {title: add.dataset.title}, add.dataset.wait); }
      var search = document.getElementById("title-q");
      search.value = "";
      document.getElementById("title-results").textContent = "";
      search.focus();
      return;
    }
    if (event.target.id === "add-wish") { addWish(); return; }
    var remove = event.target.closest(".desk-remove");
    if (remove) {
      remove.closest("li").remove();
      document.getElementById("title-q").focus();
    }
  });

  var done = document.getElementById("desk-done");
  if (done) { done.focus(); }

  // The order being taken survives a reload of the card (a renewal or a move without HTMX,
  // a mistaken F5): its lines, date, window and note are kept in this tab's sessionStorage
  // until the order is saved.
  var orderForm = document.getElementById("order-form");
  var KEEP_MS = 60 * 60 * 1000;
  var storeKey = orderForm ? "desk-order:" + orderForm.getAttribute("action") : null;

  function store() {
    if (!orderForm || !window.sessionStorage) { return; }
    var state = {at: Date.now(), lines: [], fields: {}};
    Array.prototype.forEach.call(lines.children, function (li) {
      var fields = {};
      Array.prototype.forEach.call(li.querySelectorAll("input[type=hidden]"), function (input) {
        fields[input.name] = input.value;
      });
      var span = li.querySelector("span");
      state.lines.push({label: span ? span.textContent : "", fields: fields});
    });
    ["preferred_date", "window", "note"].forEach(function (name) {
      var field = orderForm.elements[name];
      if (field) { state.fields[name] = field.value; }
    });
    try { window.sessionStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* full */ }
  }

  function restore() {
    var raw = null;
    try { raw = window.sessionStorage.getItem(storeKey); } catch (e) { return; }
    if (!raw) { return; }
    var state;
    try { state = JSON.parse(raw); } catch (e) { return; }
    if (!state.at || Date.now() - state.at > KEEP_MS) { return; }  // another call's order
    if (lines.children.length === 0) {
      (state.lines || []).forEach(function (line) { lineItem(line.label, line.fields || {}); });
    }
    Object.keys(state.fields || {}).forEach(function (name) {
      var field = orderForm.elements[name];
      if (!field || !state.fields[name]) { return; }
      if (field.tagName === "SELECT") {
        var known = Array.prototype.some.call(field.options, function (o) {
          return o.value === state.fields[name];
        });
        if (known) { field.value = state.fields[name]; }
      } else if (!field.value) {
        field.value = state.fields[name];
      }
    });
  }

  if (orderForm && window.sessionStorage) {
    if (done) {
      try { window.sessionStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
    } else {
      restore();
    }
    orderForm.addEventListener("input", store);
    orderForm.addEventListener("change", store);
    if (window.MutationObserver) { new MutationObserver(store).observe(lines, {childList: true}); }
    store();
  }

  // The incoming call ---------------------------------------------------------------------------
  var banner = document.getElementById("desk-incoming");
  if (!banner || !window.fetch) { return; }
  var shown = null;

  function show(call) {
    if (!call) { banner.hidden = true; banner.textContent = ""; shown = null; return; }
    if (shown === call.id) { return; }
    shown = call.id;
    banner.textContent = "";
    var link = document.createElement("a");
    link.setAttribute("accesskey", "i");
    if (call.reader) {
      link.href = banner.dataset.cardUrl.replace("/0/", "/" + call.reader.id + "/") +
        "?phone=" + encodeURIComponent(call.phone) + "&call=" + call.id;
      link.textContent = call.reader.full_name;
    } else {
      link.href = banner.dataset.searchUrl + "?q=" + encodeURIComponent(call.phone);
      link.textContent = banner.dataset.unknown;
    }
    banner.appendChild(document.createTextNode(banner.dataset.label + ": "));
    banner.appendChild(link);
    banner.appendChild(document.createTextNode(" " + call.phone));
    banner.hidden = false;
  }

  function poll() {
    fetch(banner.dataset.url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        var calls = Array.isArray(body) ? body : (body.results || []);
        show(calls[0]);
      })
      .catch(function () { /* the next poll tries again */ });
  }
  poll();
  window.setInterval(poll, 4000);
})();
