/* The pick list: the barcode scanner types into one field and presses Enter, so that field
   keeps the focus (after every answer, and after a click on nothing in particular). A title
   search for a substitute keeps its own field. Everything works without this file too. */
(function () {
  "use strict";

  var FIELDS = "input, select, textarea, button, a, summary, label";

  // A scanner does not wait for the page: the next code may be typed while the answer to the
  // last one is on its way, or between the page being swapped and settled. What was typed
  // after the code that was sent is carried into the new field, and a field that already
  // holds typed characters is never selected (the next character would replace them).
  var sent = "";
  var carried = "";

  function focusScanner() {
    var wanted = document.querySelector("#picking [data-focus]") || document.getElementById("scan");
    if (!wanted) { return; }
    if (wanted.id === "scan" && carried) {
      wanted.value = carried;
      carried = "";
    }
    if (document.activeElement !== wanted) { wanted.focus(); }
    if (wanted.id === "scan" && wanted.value && wanted.value === wanted.defaultValue) {
      wanted.select();  // a code the page gives back (not found): the next scan replaces it
    }
  }

  document.addEventListener("htmx:beforeRequest", function () {
    var scanner = document.getElementById("scan");
    sent = scanner ? scanner.value : "";
  });
  document.addEventListener("htmx:beforeSwap", function () {
    var scanner = document.getElementById("scan");
    var now = scanner ? scanner.value : "";
    carried = sent && now.indexOf(sent) === 0 ? now.slice(sent.length) : (now === sent ? "" : now);
  });
  document.addEventListener("DOMContentLoaded", focusScanner);
  document.addEventListener("htmx:afterSettle", focusScanner);
  document.addEventListener("click", function (event) {
    if (!event.target.closest || event.target.closest(FIELDS)) { return; }
    if (window.getSelection && String(window.getSelection())) { return; }  // copying text
    var scanner = document.getElementById("scan");
    if (scanner) { scanner.focus(); }
  });
})();
