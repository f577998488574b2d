/* Tags in the admin forms: a list of words (a title's authors and subjects, a reader's subjects,
   authors and titles never to send) as removable tags, with suggestions. The textarea, one entry per line, stays
   what the form sends; without this script the librarian types one entry per line there.
   Texts come translated in the widget's data- attributes; everything is built with
   textContent and value, never from HTML. */
(function () {
  "use strict";

  function fmt(text, values) {
    return String(text || "").replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }
  function clean(text) { return String(text || "").replace(/\s+/g, " ").trim(); }
  function fold(text) { return clean(text).toLocaleLowerCase().replace(/ё/g, "е"); }

  function setUp(box) {
    var area = box.querySelector("textarea");
    var listId = box.getAttribute("data-list");
    var datalist = document.getElementById(listId);
    var url = box.getAttribute("data-suggest-url");
    if (!area || box.getAttribute("data-ready")) return;
    box.setAttribute("data-ready", "1");

    var chips = document.createElement("ul");
    chips.className = "kniga-chips";
    chips.setAttribute("aria-label", box.getAttribute("data-chosen") || "");
    chips.setAttribute("aria-live", "polite");
    var entry = document.createElement("input");
    entry.type = "text";
    entry.autocomplete = "off";
    entry.className = "vTextField kniga-tag-entry";
    entry.setAttribute("list", listId);
    entry.placeholder = box.getAttribute("data-add") || "";
    // The field's label and help text now belong to the entry box.
    entry.id = area.id;
    area.id = area.id + "_lines";
    if (area.getAttribute("aria-describedby")) {
      entry.setAttribute("aria-describedby", area.getAttribute("aria-describedby"));
    }
    area.hidden = true;
    box.insertBefore(chips, area);
    box.insertBefore(entry, area);

    function items() {
      return area.value.split(/\r?\n/).map(clean).filter(Boolean);
    }
    function store(list) {
      area.value = list.join("\n");
      draw();
    }
    function draw() {
      chips.textContent = "";
      items().forEach(function (text, index) {
        var chip = document.createElement("li");
        chip.className = "kniga-chip";
        var name = document.createElement("span");
        name.textContent = text;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "kniga-chip-remove";
        remove.textContent = "×";
        remove.setAttribute("aria-label", fmt(box.getAttribute("data-remove"), {tag: text}));
        remove.addEventListener("click", function () {
          var rest = items();
          rest.splice(index, 1);
          store(rest);
          entry.focus();
        });
        chip.appendChild(name);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }
    function add() {
      var text = clean(entry.value);
      entry.value = "";
      if (!text) return;
      var current = items();
      if (current.some(function (item) { return fold(item) === fold(text); })) return;
      current.push(text);
      store(current);
    }
    function isSuggestion(text) {
      if (!datalist) return false;
      return Array.prototype.some.call(datalist.options, function (option) {
        return option.value === text;
      });
    }

    var asked = 0;
    var timer = null;
    function search() {
      var query = clean(entry.value);
      if (timer) clearTimeout(timer);
      if (query.length < 2 || !datalist) return;
      timer = setTimeout(function () {
        var mine = ++asked;
        fetch(url + "?q=" + encodeURIComponent(query), {
          credentials: "same-origin", headers: {"Accept": "application/json"},
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (body) {
          if (!body || mine !== asked) return;
          var seen = {};
          datalist.textContent = "";
          (body.results || []).forEach(function (title) {
            if (!title.title || seen[title.title]) return;
            seen[title.title] = true;
            var option = document.createElement("option");
            option.value = title.title;
            option.label = [(title.authors || []).join(", "), title.year, title.isbn]
              .filter(Boolean).join(" · ");
            datalist.appendChild(option);
          });
        }).catch(function () { /* no suggestions then; typing still works */ });
      }, 250);
    }

    entry.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        add();
      }
    });
    entry.addEventListener("input", function (event) {
      // A suggestion picked from the list arrives whole, not as typed keys.
      if ((!event.inputType || event.inputType === "insertReplacementText")
          && isSuggestion(entry.value)) {
        add();
        return;
      }
      if (url) search();
    });
    if (area.form) area.form.addEventListener("submit", add);
    draw();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-kniga-tags]"), setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
