"""The pin on a map in the card form: where a volunteer comes to, without typing coordinates.

`PlaceMapWidget` renders the latitude as a hidden input next to a map (Leaflet, vendored; tiles
from MAP_TILE_URL) that backend/static/js/card_map.js draws: a click or a drag puts the pin and
fills the hidden latitude and longitude; the longitude is a plain hidden input of its own.
Everything the script needs is in data- attributes (the CSP allows no inline script), its texts
translated here. Without JavaScript or tiles the form still saves: the inputs keep their values.
"""
from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

# Where the map opens for a card without a pin and a branch without coordinates (the plan page
# does the same): Kazakhstan as a whole.
COUNTRY_VIEW = (48.0, 67.0, 5)
BRANCH_ZOOM = 13


class PlaceMapWidget(forms.HiddenInput):
    """The latitude input plus the map; `lon_id` names the longitude's hidden input and
    `centre` (lat, lon) where the map opens when the card has no pin yet."""

    is_hidden = False  # the admin shows its row: the map is the field

    def __init__(self, attrs: dict | None = None, *, lon_id: str = "id_lon") -> None:
        super().__init__(attrs)
        self.lon_id = lon_id
        self.centre: tuple[float, float] | None = None

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            css={"all": ("vendor/leaflet/leaflet.css", "css/card_map.css")},
            js=("vendor/leaflet/leaflet.js", "js/card_map.js"),
        )

    def texts(self) -> dict[str, str]:
        return {
            "hint": _("Click the map where the door is, or drag the pin."),
            "set": _("Pin placed by hand: save the card to keep it."),
            "cleared": _("No pin: save the card and the geocoder looks the address up."),
            "candidate": _("This place will be kept when the card is saved."),
            "no-tiles": _("The map has no background (no tile server is set up): place the "
                          "pin by the landmarks you know, or leave it to the geocoder."),
        }

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer=None) -> str:
        hidden = super().render(name, value, attrs, renderer)
        input_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        lat, lon, zoom = COUNTRY_VIEW
        if self.centre is not None and None not in self.centre:
            (lat, lon), zoom = self.centre, BRANCH_ZOOM
        data = {
            "data-lat-input": input_id,
            "data-lon-input": self.lon_id,
            "data-tiles": settings.MAP_TILE_URL,
            "data-attribution": settings.MAP_TILE_ATTRIBUTION,
            "data-centre": f"{lat},{lon},{zoom}",
            **{f"data-text-{key}": text for key, text in self.texts().items()},
        }
        attributes = format_html_join(" ", '{}="{}"', data.items())
        return format_html(
            '{hidden}<div class="card-map-box" data-card-map {attributes}>'
            '<div class="card-map" id="{input_id}_map" role="application" '
            'aria-label="{label}"></div>'
            '<p class="card-map-note" aria-live="polite">{nojs}</p>'
            '<p class="card-map-actions" hidden>'
            '<button type="button" class="button" data-action="centre">{centre}</button> '
            '<button type="button" class="button" data-action="clear">{clear}</button></p>'
            "</div>",
            hidden=hidden, attributes=attributes, input_id=input_id,
            label=_("Map: the place where a volunteer comes to"),
            nojs=_("The map needs JavaScript. The card saves without it; the geocoder "
                   "looks the address up."),
            centre=_("Put the pin in the middle of the map"),
            clear=_("Remove the pin"),
        )


class CandidateSelect(forms.RadioSelect):
    """The places the geocoder found, as radio buttons that carry their coordinates for the
    map (`places`: index -> {"lat", "lon"})."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.places: dict[str, dict[str, float]] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        place = self.places.get(str(value))
        if place is not None:
            option["attrs"] = {**option["attrs"], "data-lat": place["lat"],
                               "data-lon": place["lon"], "data-candidate": ""}
        return option
