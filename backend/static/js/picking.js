/* The pick list: the barcode scanner types into one field and presses Enter, so that field
   keeps the focus (after every answer, and after a click on nothing in particular). A title
   search for a substitute keeps its own field. Everything works without this file too. */
(function () {
  "use strict";

  var FIELDS = "input, select, textarea, button, a, summary, label";

  function focusScanner(event) {
    var wanted = document.querySelector("#picking [data-focus]") || document.getElementById("scan");
    // The field has autofocus: a scanner may already be typing into it before this script
    // runs (the page has just come back from the previous scan). Selecting then would let the
    // next character replace the code's first ones.
    if (event && event.type === "DOMContentLoaded" && wanted === document.activeElement) {
      return;
    }
    if (wanted) {
      wanted.focus();
      if (wanted.id === "scan") { wanted.select(); }
    }
  }

  document.addEventListener("DOMContentLoaded", focusScanner);
  document.addEventListener("htmx:afterSettle", focusScanner);
  document.addEventListener("click", function (event) {
    if (!event.target.closest || event.target.closest(FIELDS)) { return; }
    if (window.getSelection && String(window.getSelection())) { return; }  // copying text
    var scanner = document.getElementById("scan");
    if (scanner) { scanner.focus(); }
  });
})();
