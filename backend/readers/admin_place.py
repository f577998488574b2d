"""Where a card is visited, in the librarians' admin (reader cards and family cards).

The card form shows the geocoder's answer in words, the places to choose from when the address
was ambiguous, and a map to drop the pin on (backend/readers/widgets_map.py) instead of typed
coordinates. A pin set on the map is a place set by hand (geocode_status manual: the geocoder
never replaces it); a chosen place goes through `reader_geocode_choose`, as in the API. The
reader list flags and filters the cards whose visits cannot be planned for want of coordinates.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backend.branches.models import Branch
from backend.core.admin_services import ServiceRejected
from backend.core.exceptions import ApplicationError
from backend.readers.admin_history import EMPTY
from backend.readers.geocoder import geocoder_enabled
from backend.readers.geocoding import GEOCODED_FIELDS, reader_geocode_choose
from backend.readers.models import FamilyCard, FamilyStatus, GeocodeStatus, Reader
from backend.readers.selectors import reader_place_missing_q
from backend.readers.widgets_map import CandidateSelect, PlaceMapWidget

# The address fieldsets name ("lat", "lon"); the card form shows these instead.
PLACE_FIELDS = ("place_status", "geocode_choice", "lat", "lon")
COORDINATE_ROW = ("lat", "lon")


def place_status_text(card: Reader | FamilyCard) -> str:
    """The card's own coordinates in words."""
    status = card.geocode_status
    if card.lat is not None:
        if status == GeocodeStatus.MANUAL:
            return gettext("Placed on the map by hand.")
        return gettext("Found by the geocoder.")
    if status == GeocodeStatus.NOT_FOUND:
        return gettext("The geocoder did not find the address: drop the pin on the map.")
    if status == GeocodeStatus.AMBIGUOUS:
        return gettext("The geocoder found several places: choose one below, or drop the pin "
                       "on the map.")
    if status == GeocodeStatus.UNAVAILABLE:
        return gettext("The geocoder did not answer: the address will be looked up again "
                       "later. You can drop the pin on the map now.")
    if geocoder_enabled() and card.settlement:
        return gettext("Waiting for the geocoder to look the address up.")
    return gettext("Not placed: drop the pin on the map.")


def visit_family(card: Reader | FamilyCard) -> FamilyCard | None:
    """The open family card whose address a reader is visited at, if any."""
    family = getattr(card, "family_card", None) if isinstance(card, Reader) else None
    return family if family is not None and family.status == FamilyStatus.OPEN else None


def place_missing(card: Reader | FamilyCard) -> bool:
    """True when a visit to this card cannot be planned: no coordinates where it is visited."""
    family = visit_family(card)
    return (family or card).lat is None


class NoCoordinatesFilter(admin.SimpleListFilter):
    title = _("coordinates")
    parameter_name = "coordinates"

    def lookups(self, request, model_admin):
        return (("missing", _("No coordinates")), ("set", _("With coordinates")))

    def queryset(self, request, queryset):
        missing = reader_place_missing_q() if queryset.model is Reader else Q(lat__isnull=True)
        if self.value() == "missing":
            return queryset.filter(missing)
        if self.value() == "set":
            return queryset.exclude(missing)
        return queryset


class PlaceFormMixin(forms.Form):
    """Adds the choice among the geocoder's places to a card's admin form and sets up the map
    (where it opens, the places it shows)."""

    geocode_choice = forms.TypedChoiceField(
        label=_("Places the geocoder found"), required=False, coerce=int, empty_value=None,
        widget=CandidateSelect,
        help_text=_("Choose the reader's house; it is kept when the card is saved."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        card = self.instance
        if "geocode_choice" in self.fields:
            field = self.fields["geocode_choice"]
            places = (card.geocode_candidates if card.pk and
                      card.geocode_status == GeocodeStatus.AMBIGUOUS else []) or []
            field.choices = [(i, p.get("label") or f"{p['lat']:.5f}, {p['lon']:.5f}")
                             for i, p in enumerate(places)]
            field.widget.places = {str(i): p for i, p in enumerate(places)}
        if "lat" in self.fields:
            branch = card.branch if card.branch_id else (
                Branch.objects.filter(lat__isnull=False).order_by("pk").first())
            if branch is not None:
                self.fields["lat"].widget.centre = (branch.lat, branch.lon)


class CardPlaceAdminMixin:
    """For a card's ModelAdmin (before ServiceSavingAdmin in its bases)."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "lat":
            kwargs["widget"] = PlaceMapWidget()
            field = super().formfield_for_dbfield(db_field, request, **kwargs)
            field.label = gettext("Place on the map")
            field.help_text = gettext("A pin placed by hand is kept even if the address "
                                      "changes; remove it to have the address looked up.")
            return field
        if db_field.name == "lon":
            kwargs["widget"] = forms.HiddenInput()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("form", type(self.form.__name__, (PlaceFormMixin, self.form), {}))
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = []
            for field in options["fields"]:
                if field == COORDINATE_ROW:
                    fields.extend(f for f in PLACE_FIELDS if self._shows(f, obj))
                else:
                    fields.append(field)
            fieldsets.append((name, {**options, "fields": tuple(fields)}))
        return fieldsets

    @staticmethod
    def _shows(field: str, obj) -> bool:
        if field == "place_status":
            return obj is not None
        if field == "geocode_choice":
            return (obj is not None and obj.geocode_status == GeocodeStatus.AMBIGUOUS
                    and bool(obj.geocode_candidates))
        return True

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "place_status")

    def get_list_display(self, request):
        return (*super().get_list_display(request), "place_flag")

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), NoCoordinatesFilter)

    @admin.display(description=_("coordinates"))
    def place_status(self, obj) -> str:
        if obj is None or obj.pk is None:
            return EMPTY
        text = place_status_text(obj)
        family = visit_family(obj)
        if family is not None:
            url = reverse("admin:readers_familycard_change", args=[family.pk])
            note = (gettext("Visited at the family card's address, which has no coordinates: "
                            "visits cannot be planned until it is placed.")
                    if family.lat is None else
                    gettext("Visited at the family card's address, which has its place."))
            return format_html('{}<br><a href="{}" class="{}">{}</a>', text, url,
                               "place-missing" if family.lat is None else "", note)
        if obj.lat is None:
            return format_html('<strong class="place-missing">{}</strong><br>{}',
                               gettext("No coordinates: visits cannot be planned until the "
                                       "place is set."), text)
        return text

    @admin.display(description=_("coordinates"))
    def place_flag(self, obj) -> str:
        if place_missing(obj):
            return format_html('<span class="place-missing">{}</span>',
                               gettext("no coordinates"))
        family = visit_family(obj)
        card = family or obj
        if card.geocode_status == GeocodeStatus.MANUAL:
            return gettext("placed by hand")
        return gettext("found")

    def save_related(self, request, form, formsets, change) -> None:
        """After the card is saved through its service: the place chosen among the
        geocoder's, unless a pin was put or the address changed in the same save."""
        super().save_related(request, form, formsets, change)
        choice = form.cleaned_data.get("geocode_choice")
        moved = set(form.changed_data) & {*GEOCODED_FIELDS, "lat", "lon"}
        if not change or choice is None or moved:
            return
        try:
            saved = reader_geocode_choose(reader=form.instance, candidate=choice,
                                          by=request.user)
        except ApplicationError as error:
            raise ServiceRejected(ApplicationError(
                error.code, error.message, fields={"geocode_choice": [error.message]})) from error
        for name in ("lat", "lon", "geocode_status", "geocode_candidates", "updated_at"):
            setattr(form.instance, name, getattr(saved, name))
