// The recurrence picker (backend/core/recurrence_picker.py): shows the choices of the way
// chosen and asks the server for the sentence of the rule they make. The server builds and
// words the rule; this file only sends the choices and shows the answer as text.
(function () {
  "use strict";

  const timers = new WeakMap();
  const asked = new WeakMap();

  function chosen(picker, part) {
    const inputs = picker.querySelectorAll(`[data-part="${part}"]`);
    for (const input of inputs) {
      if (input.checked) return input.value;
    }
    return "";
  }

  function show(picker) {
    const mode = chosen(picker, "mode");
    const end = chosen(picker, "end");
    for (const group of picker.querySelectorAll("[data-modes]")) {
      group.hidden = !group.dataset.modes.split(" ").includes(mode);
    }
    for (const label of picker.querySelectorAll("[data-ends]")) {
      label.hidden = label.dataset.ends !== end;
    }
  }

  function query(picker) {
    const params = new URLSearchParams();
    for (const input of picker.querySelectorAll("[data-part]")) {
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) continue;
      params.append(input.dataset.part, input.value);
    }
    return params;
  }

  function describe(picker) {
    const output = picker.querySelector('[data-part-output="sentence"]');
    const number = (asked.get(picker) || 0) + 1;
    asked.set(picker, number);
    const url = `${picker.dataset.describeUrl}?${query(picker)}`;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((body) => {
        if (!body || asked.get(picker) !== number) return;
        output.textContent = body.text || body.error;
        output.classList.toggle("kniga-recurrence-error", !body.text);
      })
      .catch(() => {});
  }

  function changed(event) {
    const picker = event.target.closest && event.target.closest(".kniga-recurrence");
    if (!picker) return;
    show(picker);
    clearTimeout(timers.get(picker));
    timers.set(picker, setTimeout(() => describe(picker), 200));
  }

  function start(root) {
    for (const picker of root.querySelectorAll(".kniga-recurrence")) show(picker);
  }

  document.addEventListener("change", changed);
  document.addEventListener("input", changed);
  document.addEventListener("formset:added", (event) => start(event.target));
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => start(document));
  } else {
    start(document);
  }
})();
