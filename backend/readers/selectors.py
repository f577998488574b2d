"""Reads of reader and family cards that views, the desk and reports share."""
from __future__ import annotations

import datetime

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from backend.core.calendar import working_days
from backend.core.phones import digits_of, to_e164
from backend.core.text import search_tokens
from backend.readers.models import (
    CardAccess,
    CardChange,
    FamilyCard,
    FamilyStatus,
    GeocodeStatus,
    Reader,
    ReaderPhone,
)


def reader_queryset() -> QuerySet[Reader]:
    """Readers with everything a card shows, in a fixed number of queries."""
    return Reader.objects.select_related(
        "branch", "family_card", "consent_recorded_by"
    ).prefetch_related(Prefetch("phones", queryset=ReaderPhone.objects.order_by("position", "id")))


def phone_query(text: str) -> Q | None:
    """Match a phone said in any form: full number in any notation or its last 7+ digits.

    A condition on readers with the phones in a subquery rather than a join: a reader with
    two matching phones is one row, so no DISTINCT (over every column of the card) is
    needed, and a full number is one index lookup.
    """
    digits = digits_of(text)
    if len(digits) < 7:
        return None
    e164 = to_e164(text)
    condition = Q(number__endswith=digits[-7:]) if len(digits) < 10 else Q()
    if e164:
        condition |= Q(number=e164)
    elif len(digits) >= 10:
        condition |= Q(number__endswith=digits[-10:])
    return Q(pk__in=ReaderPhone.objects.filter(condition).values("reader_id"))


def reader_search_q(query: str) -> Q:
    """Name (any case, Kazakh and Cyrillic letters), card number or phone."""
    query = (query or "").strip()
    if not query:
        return Q()
    condition = Q()
    by_phone = phone_query(query)
    letters = any(ch.isalpha() for ch in query)
    if by_phone is not None and not letters:
        # Digits (and dashes) may also be the end of a card number; a phone said with
        # "+", spaces or brackets cannot.
        if query.replace("-", "").isdigit():
            return by_phone | Q(card_number__endswith=query)
        return by_phone
    for token in search_tokens(query):
        condition &= Q(search_text__contains=token)
    return condition


def reader_list(*, filters: dict | None = None) -> QuerySet[Reader]:
    filters = filters or {}
    qs = reader_queryset()
    if filters.get("q"):
        qs = qs.filter(reader_search_q(filters["q"]))
    for name in ("status", "category", "branch", "language"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("settlement"):
        settlements = Reader.objects.values_list("settlement", flat=True).distinct()
        wanted = {s for s in settlements if s and s.casefold() == filters["settlement"].casefold()}
        qs = qs.filter(settlement__in=wanted or {filters["settlement"]})
    if filters.get("family_card"):
        qs = qs.filter(family_card=filters["family_card"])
    if filters.get("has_coordinates") is not None:
        missing = reader_place_missing_q()
        qs = qs.filter(missing) if not filters["has_coordinates"] else qs.exclude(missing)
    return qs


def reader_place_missing_q() -> Q:
    """Readers whose visits cannot be planned for want of coordinates: those of the place
    they are visited at (an open family card's address for its members, else their own)."""
    in_family = Q(family_card__isnull=False, family_card__status=FamilyStatus.OPEN)
    return (in_family & Q(family_card__lat__isnull=True)) | (~in_family & Q(lat__isnull=True))


def _to_geocode(model, again: bool) -> QuerySet:
    statuses = [GeocodeStatus.PENDING, GeocodeStatus.UNAVAILABLE]
    if again:
        statuses += [GeocodeStatus.NOT_FOUND, GeocodeStatus.AMBIGUOUS]
    return (model.objects.filter(lat__isnull=True, geocode_status__in=statuses,
                                 anonymized_at__isnull=True)
            .exclude(settlement="").order_by("pk"))


def readers_to_geocode(*, again: bool = False) -> QuerySet[Reader]:
    """Cards with an address but no coordinates that the geocoder may fill: not looked up yet
    or the geocoder was down; with `again`, also those it did not find or found several times.
    Typed coordinates (manual) are never in it."""
    return _to_geocode(Reader, again)


def family_cards_to_geocode(*, again: bool = False) -> QuerySet[FamilyCard]:
    """The same for family cards (their members are visited at the family's address)."""
    return _to_geocode(FamilyCard, again)


def readers_by_phone(phone: str) -> QuerySet[Reader]:
    condition = phone_query(phone)
    if condition is None:
        return reader_queryset().none()
    return reader_queryset().filter(condition)


def delivery_address(reader: Reader) -> dict:
    """A family member is visited at the family's address."""
    family = reader.family_card
    if family is not None and family.status == FamilyStatus.OPEN:
        return family.address_dict()
    return reader.address_dict()


def family_card_queryset() -> QuerySet[FamilyCard]:
    return FamilyCard.objects.select_related("branch", "head").prefetch_related(
        Prefetch("members", queryset=Reader.objects.order_by("last_name", "first_name", "id"))
    )


def family_card_list(*, filters: dict | None = None) -> QuerySet[FamilyCard]:
    filters = filters or {}
    qs = family_card_queryset()
    for name in ("status", "branch"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("q"):
        tokens = search_tokens(filters["q"])
        member_q = Q()
        for token in tokens:
            member_q &= Q(members__search_text__contains=token)
        qs = qs.filter(member_q | Q(number__iexact=filters["q"].strip())).distinct()
    return qs


def card_history(*, reader: Reader | None = None,
                 family: FamilyCard | None = None) -> QuerySet[CardChange]:
    qs = CardChange.objects.select_related("actor")
    if reader is not None:
        return qs.filter(reader=reader)
    return qs.filter(family_card=family)


def card_access_list(*, filters: dict | None = None) -> QuerySet[CardAccess]:
    """The card access log, newest first: by reader, family card, user or period."""
    filters = filters or {}
    qs = CardAccess.objects.select_related("user").prefetch_related(
        Prefetch("readers", queryset=Reader.objects.only("id", "card_number").order_by("id")),
        Prefetch("family_cards", queryset=FamilyCard.objects.only("id", "number").order_by("id")),
    )
    # A row names several cards: a filter by one card is a join on the link table, which
    # gives each row at most once (a card is linked to a row once).
    if filters.get("reader") is not None:
        qs = qs.filter(readers=filters["reader"])
    if filters.get("family_card") is not None:
        qs = qs.filter(family_cards=filters["family_card"])
    for name in ("user", "action", "channel"):
        if filters.get(name) is not None:
            qs = qs.filter(**{name: filters[name]})
    if filters.get("since"):
        qs = qs.filter(at__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__lt=filters["until"])
    return qs


def home_windows(reader: Reader) -> dict[int, list[tuple[str, str]]]:
    """Weekday -> [(start, end)] when someone of the household is at home."""
    people = [reader]
    family = reader.family_card
    if family is not None and family.status == FamilyStatus.OPEN:
        people = list(family.members.all()) or [reader]
    windows: dict[int, list[tuple[str, str]]] = {}
    for person in people:
        for slot in person.availability or []:
            windows.setdefault(int(slot["weekday"]), []).append((slot["start"], slot["end"]))
    return {day: sorted(set(slots)) for day, slots in windows.items()}


def next_visit_dates(reader: Reader, *, start: datetime.date | None = None, days: int = 21,
                     limit: int = 5) -> list[dict]:
    """The next working days on which a volunteer can come: the household is at home and
    it is not a public holiday. With no availability recorded, every working day counts."""

    start = start or timezone.localdate() + datetime.timedelta(days=1)
    windows = home_windows(reader)
    result = []
    for day in working_days(start, days):
        if windows and day.weekday() not in windows:
            continue
        slots = windows.get(day.weekday(), [])
        result.append({"date": day, "windows": [{"start": s, "end": e} for s, e in slots]})
        if len(result) >= limit:
            break
    return result


def readers_using_phone(number: str) -> QuerySet[Reader]:
    """The cards with exactly this number (E.164), as their own phone or their caregiver's."""
    return Reader.objects.filter(Q(phones__number=number) | Q(caregiver_phone=number)).distinct()


def reader_for_phone(number: str) -> Reader | None:
    """Whose number is calling or writing: the card found by phone search, else a card
    that gives it as the caregiver's."""
    reader = readers_by_phone(number).first()
    if reader is None:
        reader = readers_using_phone(number).select_related("branch").first()
    return reader
