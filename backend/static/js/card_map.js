/* The pin on a map in a reader's or a family's card form (backend/readers/widgets_map.py).
   A click or a drag puts the pin and fills the hidden latitude and longitude inputs; the
   server then keeps the place as set by hand. Choosing one of the geocoder's places shows it
   and leaves the coordinates to the server. Texts come translated in data- attributes; every
   piece of text is set with textContent (the CSP allows no inline script or style). */
(function () {
  "use strict";

  function round(x) { return Math.round(x * 1e6) / 1e6; }

  // A node holding only text: what Leaflet is given for a tooltip (never an HTML string).
  function el(tag, text) {
    var node = document.createElement(tag);
    node.textContent = text;
    return node;
  }

  function setUp(box) {
    if (typeof L === "undefined") return;
    var latInput = document.getElementById(box.dataset.latInput);
    var lonInput = document.getElementById(box.dataset.lonInput);
    if (!latInput || !lonInput) return;
    var note = box.querySelector(".card-map-note");
    var actions = box.querySelector(".card-map-actions");
    var initial = {lat: latInput.value, lon: lonInput.value};
    var texts = {
      hint: box.dataset.textHint, set: box.dataset.textSet, cleared: box.dataset.textCleared,
      candidate: box.dataset.textCandidate, noTiles: box.dataset.textNoTiles
    };
    var centre = (box.dataset.centre || "48,67,5").split(",").map(Number);

    var element = box.querySelector(".card-map");
    var map = L.map(element, {keyboard: true, attributionControl: true});
    map.attributionControl.setPrefix("Leaflet");
    if (box.dataset.tiles) {
      L.tileLayer(box.dataset.tiles, {attribution: box.dataset.attribution || "", maxZoom: 19}).addTo(map);
    } else {
      element.classList.add("no-tiles");
    }
    actions.hidden = false;
    // The admin's layout can still move when the map is drawn (its side bar): keep the map's
    // idea of its size, and so its centre, right.
    if (typeof ResizeObserver !== "undefined") {
      new ResizeObserver(function () { map.invalidateSize(); }).observe(element);
    }

    var pin = null;
    var shown = null;  // a place the geocoder found, chosen in the form

    function say(text) {
      note.textContent = text + (box.dataset.tiles ? "" : " " + texts.noTiles);
    }
    function choices() { return document.querySelectorAll("input[data-candidate]"); }

    function place(latlng, byHand) {
      if (!pin) {
        pin = L.marker(latlng, {draggable: true, keyboard: true, autoPan: true,
                                title: texts.hint, alt: texts.hint}).addTo(map);
        pin.on("dragend", function () { place(pin.getLatLng(), true); });
      } else {
        pin.setLatLng(latlng);
      }
      if (byHand) {
        latInput.value = String(round(latlng.lat));
        lonInput.value = String(round(latlng.lng));
        Array.prototype.forEach.call(choices(), function (r) { r.checked = false; });
        if (shown) { map.removeLayer(shown); shown = null; }
        say(texts.set);
      }
    }

    function clear() {
      if (pin) { map.removeLayer(pin); pin = null; }
      latInput.value = "";
      lonInput.value = "";
      say(texts.cleared);
    }

    if (initial.lat !== "" && initial.lon !== "") {
      var here = L.latLng(Number(initial.lat), Number(initial.lon));
      place(here, false);
      map.setView(here, 17);
    } else {
      map.setView([centre[0], centre[1]], centre[2]);
    }
    say(texts.hint);

    map.on("click", function (event) { place(event.latlng, true); });
    box.querySelector("[data-action=centre]").addEventListener("click", function () {
      place(map.getCenter(), true);
    });
    box.querySelector("[data-action=clear]").addEventListener("click", clear);

    // The geocoder's places: small circles on the map; choosing one (in the list or on the
    // map) undoes a pin put by hand, so the server keeps the chosen place.
    var bounds = [];
    Array.prototype.forEach.call(choices(), function (radio) {
      var at = L.latLng(Number(radio.dataset.lat), Number(radio.dataset.lon));
      bounds.push(at);
      var label = radio.parentNode.textContent.trim();
      L.circleMarker(at, {radius: 8, className: "card-map-candidate"}).addTo(map)
        .bindTooltip(el("span", label)).on("click", function (event) {
          L.DomEvent.stopPropagation(event);
          radio.checked = true;
          radio.dispatchEvent(new Event("change", {bubbles: true}));
        });
      radio.addEventListener("change", function () {
        if (!radio.checked) return;
        if (pin) { map.removeLayer(pin); pin = null; }
        latInput.value = initial.lat;
        lonInput.value = initial.lon;
        if (shown) map.removeLayer(shown);
        shown = L.marker(at, {keyboard: false, title: label, alt: label}).addTo(map);
        map.panTo(at);
        say(texts.candidate);
      });
    });
    if (bounds.length && !pin) map.fitBounds(L.latLngBounds(bounds).pad(0.3));
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-card-map]"), setUp);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
