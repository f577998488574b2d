"""Coordinates of reader cards and family cards: what the geocoder finds for the address, or
where a librarian put the pin. ``geocode_status`` says which (GeocodeStatus); coordinates set
by hand are never replaced. The same rules for both kinds of card (a family's members are
visited at the family's address)."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError
from backend.readers import geocoder
from backend.readers.geocoder import GeocoderUnavailable, Place
from backend.readers.models import CardChange, FamilyCard, GeocodeStatus, Reader

if TYPE_CHECKING:
    from backend.accounts.models import User

GEOCODED_FIELDS = ("settlement", "street", "house")

Card = Reader | FamilyCard


def reader_geocode_prepare(reader: Card, before: dict[str, Any] | None) -> bool:
    """Set the status of an unsaved card from what changed since `before` (its snapshot; None
    for a new card). True when its address should be looked up once it is saved.

    New coordinates mean a librarian typed them: manual. A changed address drops coordinates
    the geocoder found (they belong to the old address) but keeps typed ones.
    """
    old = (before["lat"], before["lon"]) if before else (None, None)
    if (reader.lat, reader.lon) != old:
        reader.geocode_candidates = []
        if reader.lat is not None:
            reader.geocode_status = GeocodeStatus.MANUAL
            return False
        reader.geocode_status = GeocodeStatus.PENDING
        return _can_look_up(reader)
    moved = before is None or any(getattr(reader, f) != before[f] for f in GEOCODED_FIELDS)
    if not moved or reader.geocode_status == GeocodeStatus.MANUAL:
        return False
    reader.lat = reader.lon = None
    reader.geocode_status = GeocodeStatus.PENDING
    reader.geocode_candidates = []
    return _can_look_up(reader)


def _can_look_up(reader: Card) -> bool:
    return geocoder.geocoder_enabled() and bool(reader.settlement)


def reader_geocode_wanted(reader: Card) -> bool:
    """True for a card whose address the geocoder should look up (it has not yet)."""
    return reader.geocode_status == GeocodeStatus.PENDING and _can_look_up(reader)


def _record(reader: Card, **values: Any) -> bool:
    """Write the answer unless the address changed or coordinates were typed meanwhile."""
    same_address = {f: getattr(reader, f) for f in GEOCODED_FIELDS}
    updated = (
        type(reader).objects.filter(pk=reader.pk, **same_address)
        .exclude(geocode_status=GeocodeStatus.MANUAL)
        .update(**values)
    )
    for name, value in values.items():
        setattr(reader, name, value)
    return bool(updated)


def _candidates(places: list[Place], apart: float) -> list[Place]:
    """The places at least `apart` metres from every better one."""
    kept: list[Place] = []
    for place in places:
        if all(geocoder.distance_m(place, other) > apart for other in kept):
            kept.append(place)
    return kept


def reader_geocode(*, reader: Card, timeout: float | None = None) -> str:
    """Look the card's (a reader's or a family's) address up and record the answer; gives the
    new status. The geocoder is given at most `timeout` seconds (default GEOCODER_TIMEOUT).

    One place (or several within GEOCODER_AMBIGUOUS_METRES of the best): found, with its
    coordinates. Several far apart: ambiguous, the places kept to choose from. None: not
    found. The geocoder down: the status says unavailable and GeocoderUnavailable is raised
    (the caller tries again later). Typed coordinates are left alone.
    """
    if reader.geocode_status == GeocodeStatus.MANUAL or not reader.settlement:
        return reader.geocode_status
    try:
        places = geocoder.geocode(settlement=reader.settlement, street=reader.street,
                                  house=reader.house, timeout=timeout)
    except GeocoderUnavailable:
        _record(reader, geocode_status=GeocodeStatus.UNAVAILABLE)
        raise
    distinct = _candidates(places, settings.GEOCODER_AMBIGUOUS_METRES)
    if not distinct:
        _record(reader, geocode_status=GeocodeStatus.NOT_FOUND, lat=None, lon=None,
                geocode_candidates=[])
    elif len(distinct) > 1:
        _record(reader, geocode_status=GeocodeStatus.AMBIGUOUS, lat=None, lon=None,
                geocode_candidates=[{"lat": p.lat, "lon": p.lon, "label": p.label}
                                    for p in distinct])
    else:
        _record(reader, geocode_status=GeocodeStatus.FOUND, lat=distinct[0].lat,
                lon=distinct[0].lon, geocode_candidates=[])
    return reader.geocode_status


def readers_geocode(
    *,
    readers: Iterable[Card],
    total: int,
    per_second: float | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, int]:
    """Look up many cards (readers' and families') one after another, at most `per_second`
    requests a second (GEOCODER_REQUESTS_PER_SECOND); gives how many cards ended in each
    status. A card the geocoder could not answer for says unavailable and the next card is
    tried."""
    rate = per_second or settings.GEOCODER_REQUESTS_PER_SECOND
    interval = 1 / rate if rate > 0 else 0.0
    counts: dict[str, int] = {}
    last = None
    if progress:
        progress("geocode", 0, total)
    for done, reader in enumerate(readers, start=1):
        if last is not None and interval:
            wait = interval - (time.monotonic() - last)
            if wait > 0:
                sleep(wait)
        last = time.monotonic()
        try:
            status = reader_geocode(reader=reader)
        except GeocoderUnavailable:
            status = GeocodeStatus.UNAVAILABLE
        counts[status] = counts.get(status, 0) + 1
        if progress:
            progress("geocode", done, total)
    return counts


@transaction.atomic
def reader_geocode_choose(*, reader: Card, candidate: int, by: User | None = None) -> Card:
    """A librarian picks one of the places the geocoder found for an ambiguous address (of a
    reader's or a family card): the card takes its coordinates (status found) and its history
    says so."""
    reader = type(reader).objects.select_for_update().get(pk=reader.pk)
    if reader.geocode_status != GeocodeStatus.AMBIGUOUS:
        raise ApplicationError(
            "not_ambiguous", _("This card has no places to choose from."),
            fields={"candidate": [_("This card has no places to choose from.")]},
        )
    if not 0 <= candidate < len(reader.geocode_candidates):
        raise ApplicationError(
            "no_such_candidate", _("No such place."), fields={"candidate": [_("No such place.")]}
        )
    place = reader.geocode_candidates[candidate]
    before = {"lat": reader.lat, "lon": reader.lon}
    reader.lat, reader.lon = place["lat"], place["lon"]
    reader.geocode_status = GeocodeStatus.FOUND
    reader.geocode_candidates = []
    reader.save(update_fields=["lat", "lon", "geocode_status", "geocode_candidates",
                               "updated_at"])
    owner = {"family_card": reader} if isinstance(reader, FamilyCard) else {"reader": reader}
    CardChange.objects.create(
        **owner, actor=by, action=CardChange.Action.UPDATED,
        changes={name: [before[name], getattr(reader, name)] for name in ("lat", "lon")},
    )
    return reader
