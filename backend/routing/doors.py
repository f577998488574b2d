"""What happens at each door of a route: one read for the route sheet and the volunteers' app.

`route_doors(route)` answers, for every stop not cancelled, in order: who lives there (the
stop's reader and the other members of its family card), where (the family card's address,
or the reader's own while the card has no street or house yet), the access notes, the phone
to ring ahead, what to hand over (the reserved copies on the stop's orders) and what to
collect (`circulation.selectors.due_back` of the stop's household on the plan's day).

Six queries however many stops there are: stops, stop→order links, order lines, loans due
back, household members, phones. The route sheet and the app only shape the answer.
"""
from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import phonenumbers

from backend.circulation.selectors import due_back_by_household, households_active_loans
from backend.core.prepared import PreparedRead
from backend.orders.models import LineStatus, OrderLine
from backend.readers.models import PhoneKind, Reader, ReaderPhone, ReaderStatus
from backend.routing.models import Route, Stop, StopStatus


@dataclass(frozen=True)
class Phone:
    number: str  # E.164, to dial
    display: str
    kind: str
    who: str  # whose phone it is


@dataclass(frozen=True)
class Address:
    settlement: str
    street: str
    house: str
    apartment: str
    entrance: str
    floor: int | None
    door_code: str
    elevator: bool | None
    landmark: str


@dataclass(frozen=True)
class HandOver:
    """A reserved copy to hand over."""

    title: str
    authors: str
    format: str
    barcode: str
    reader: str  # the household member it is for
    order_id: int


@dataclass(frozen=True)
class Collect:
    """A loan due back by the visit."""

    title: str
    authors: str
    format: str
    barcode: str
    due_date: datetime.date
    reader: str  # whose loan it is
    loan_id: int


@dataclass(frozen=True)
class Door:
    """One stop of a route, as the volunteer meets it."""

    stop_id: int
    number: int  # position among the route's live stops, from 1
    sequence: int
    kind: str
    status: str
    reader_id: int
    name: str
    family_card_id: int | None
    family_name: str
    member_ids: tuple[int, ...]  # the other members served here
    members: tuple[str, ...]
    address: Address
    access_notes: tuple[str, ...]
    note: str
    phone: Phone | None
    window_start: datetime.time
    window_end: datetime.time
    expected_arrival: datetime.datetime | None
    arrived_at: datetime.datetime | None
    completed_at: datetime.datetime | None
    fail_reason: str
    lat: float | None
    lon: float | None
    hand_over: tuple[HandOver, ...]
    collect: tuple[Collect, ...]
    items_delivered: int  # copies already handed over on the stop's orders


class _Person(Protocol):
    pk: int
    full_name: str
    caregiver_phone: object
    caregiver_name: str


def phone_display(number: str) -> str:
    """+77011110001 -> +7 701 111 0001."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _phone(number, kind: str, who: str) -> Phone:
    text = str(number)
    return Phone(number=text, display=phone_display(text), kind=kind, who=who)


def call_ahead_phone(people: Sequence[_Person],
                     phones: dict[int, list[ReaderPhone]]) -> Phone | None:
    """The number to ring before the visit, people in order of preference (the stop's reader
    first, then the rest of the household): an SMS-capable mobile, else a home phone, else
    any other mobile, else a caregiver."""
    def first(match) -> Phone | None:
        for person in people:
            for phone in phones.get(person.pk, []):
                if match(phone):
                    return _phone(phone.number, phone.kind, person.full_name)
        return None

    found = (
        first(lambda p: p.kind == PhoneKind.MOBILE and p.sms_ok)
        or first(lambda p: p.kind == PhoneKind.HOME)
        or first(lambda p: p.kind == PhoneKind.MOBILE)
        or first(lambda p: p.kind == PhoneKind.CAREGIVER)
    )
    if found:
        return found
    for person in people:
        if person.caregiver_phone:
            return _phone(person.caregiver_phone, PhoneKind.CAREGIVER,
                          person.caregiver_name or person.full_name)
    return None


def _address(holder) -> Address:
    return Address(
        settlement=holder.settlement, street=holder.street, house=holder.house,
        apartment=holder.apartment, entrance=holder.entrance, floor=holder.floor,
        door_code=holder.door_code, elevator=holder.elevator, landmark=holder.landmark,
    )


def _title_parts(title) -> tuple[str, str, str]:
    if title is None:
        return "", "", ""
    return title.title or "", title.authors_display, title.format or ""


# The columns the doors are made of: the wide reader, family card and title rows are read
# only for these (their other columns cost SQL and model building on every route read).
STOP_COLUMNS = ("sequence", "kind", "status", "reader_id", "family_card_id", "note",
                "window_start", "window_end", "expected_arrival", "arrived_at", "completed_at",
                "fail_reason", "lat", "lon")
PERSON_COLUMNS = ("last_name", "first_name", "patronymic", "caregiver_phone", "caregiver_name")
PLACE_COLUMNS = ("settlement", "street", "house", "apartment", "entrance", "floor", "door_code",
                 "elevator", "landmark", "lat", "lon")
TITLE_COLUMNS = ("title", "authors", "format")


def live_stop_rows(route: Route) -> list[dict]:
    """The route's stops (cancelled ones left out), in order, as plain rows of their own
    columns: one narrow query, no reader or card joined. With `routing.door_stamps`, what a
    reader of the route keys its kept doors by (mobile_api.route_cache)."""
    return _LIVE_STOP_ROWS.rows(route_id=route.pk)


# Read at every build of a route answer: its SQL built once (backend.core.prepared).
_LIVE_STOP_ROWS = PreparedRead(
    lambda route_id: Stop.objects.filter(route_id=route_id)
    .exclude(status=StopStatus.CANCELLED).order_by("sequence", "id").values("id", *STOP_COLUMNS),
    "route_id")


def route_doors(route: Route, *, numbers: Mapping[int, int] | None = None) -> list[Door]:
    """The route's stops (cancelled ones left out), in order, with what happens at each.

    With `numbers` ({stop id: its position among the live stops}, as `live_stop_rows` gives
    them), only those stops are read, numbered so: the doors that changed, when the rest
    are kept."""
    if numbers is not None:
        stops = _DOOR_STOPS.rows(route_id=route.pk, stop_ids=list(numbers))
    else:
        stops = list(_door_stops(route.pk))
    if not stops:
        return []
    stop_ids = [stop.pk for stop in stops]
    family_ids = {stop.family_card_id for stop in stops if stop.family_card_id}

    # What to hand over: the reserved copies on the stop's orders (and how many went already).
    orders_of: dict[int, list[int]] = defaultdict(list)
    for row in _STOP_ORDERS.rows(stop_ids=stop_ids):
        orders_of[row["stop_id"]].append(row["order_id"])
    order_ids = {order_id for ids in orders_of.values() for order_id in ids}
    lines_of: dict[int, list[OrderLine]] = defaultdict(list)
    delivered_of: dict[int, int] = defaultdict(int)
    if order_ids:
        for line in _ORDER_LINES.rows(order_ids=list(order_ids)):
            if line.status == LineStatus.DELIVERED:
                delivered_of[line.order_id] += 1
            else:
                lines_of[line.order_id].append(line)

    # What to collect: what is due back from each stop's household on the plan's day.
    households = [(stop.reader_id, stop.family_card_id) for stop in stops]
    due = due_back_by_household(households, on_date=route.plan.date, loans=_DUE_BACK.rows(
        reader_ids=list({reader_id for reader_id, _ in households}),
        family_ids=list({family_id for _, family_id in households if family_id}),
        day=route.plan.date))

    members_of: dict[int, list[Reader]] = defaultdict(list)
    if family_ids:
        for member in _MEMBERS.rows(family_ids=list(family_ids)):
            members_of[member.family_card_id].append(member)

    people_ids = {stop.reader_id for stop in stops}
    people_ids |= {m.pk for group in members_of.values() for m in group}
    phones: dict[int, list[ReaderPhone]] = defaultdict(list)
    for phone in _PHONES.rows(reader_ids=list(people_ids)):
        phones[phone.reader_id].append(phone)

    doors = []
    for position, stop in enumerate(stops, start=1):
        number = numbers[stop.pk] if numbers is not None else position
        reader = stop.reader
        family = stop.family_card
        others = [m for m in members_of.get(stop.family_card_id, []) if m.pk != reader.pk]
        # A family card without a street or house yet: the reader's own address is the better guess.
        place = family if family is not None and (family.street or family.house) else reader
        hand_over = []
        for order_id in orders_of.get(stop.pk, []):
            for line in lines_of.get(order_id, []):
                title = line.item.title if line.item_id else line.title
                hand_over.append(HandOver(
                    *_title_parts(title), barcode=line.item.barcode if line.item_id else "",
                    reader=line.reader.full_name, order_id=order_id,
                ))
        collect = tuple(
            Collect(*_title_parts(loan.title), barcode=loan.item.barcode,
                    due_date=loan.due_date, reader=loan.reader.full_name, loan_id=loan.pk)
            for loan in due[(stop.reader_id, stop.family_card_id)]
        )
        notes = tuple(text.strip() for text in (
            family.access_notes if family is not None else "", reader.access_notes,
        ) if text and text.strip())
        doors.append(Door(
            stop_id=stop.pk,
            number=number,
            sequence=stop.sequence,
            kind=stop.kind,
            status=stop.status,
            reader_id=reader.pk,
            name=reader.full_name,
            family_card_id=stop.family_card_id,
            family_name=family.name if family is not None else "",
            member_ids=tuple(m.pk for m in others),
            members=tuple(m.full_name for m in others),
            address=_address(place),
            access_notes=notes,
            note=stop.note,
            phone=call_ahead_phone([reader, *others], phones),
            window_start=stop.window_start,
            window_end=stop.window_end,
            expected_arrival=stop.expected_arrival,
            arrived_at=stop.arrived_at,
            completed_at=stop.completed_at,
            fail_reason=stop.fail_reason or "",
            lat=stop.lat if stop.lat is not None else place.lat,
            lon=stop.lon if stop.lon is not None else place.lon,
            hand_over=tuple(hand_over),
            collect=collect,
            items_delivered=sum(delivered_of.get(o, 0) for o in orders_of.get(stop.pk, [])),
        ))
    return doors


# A door's reads, their SQL built once for each number of ids up to prepared.MAX_LIST (after a
# complete, one door is read again: backend.core.prepared); more ids: the querysets as such.
def _door_stops(route_id: int, stop_ids: list[int] | None = None):
    live = Stop.objects.filter(route_id=route_id).exclude(status=StopStatus.CANCELLED)
    if stop_ids is not None:
        live = live.filter(pk__in=stop_ids)
    return (
        live.select_related("reader", "family_card")
        .only(*STOP_COLUMNS, *(f"reader__{name}" for name in (*PERSON_COLUMNS, *PLACE_COLUMNS,
                                                             "access_notes")),
              *(f"family_card__{name}" for name in (*PLACE_COLUMNS, "name", "access_notes")))
        .order_by("sequence", "id")
    )


_DOOR_STOPS = PreparedRead(_door_stops, "route_id", "stop_ids", lists=("stop_ids",))
_STOP_ORDERS = PreparedRead(
    lambda stop_ids: Stop.orders.through.objects.filter(stop_id__in=stop_ids)
    .values("stop_id", "order_id"),
    "stop_ids", lists=("stop_ids",))
_ORDER_LINES = PreparedRead(
    lambda order_ids: OrderLine.objects
    .filter(order_id__in=order_ids, status__in=[LineStatus.RESERVED, LineStatus.DELIVERED])
    .select_related("title", "item__title", "reader")
    .only("order_id", "status", "item_id", "title_id", "reader_id",
          *(f"title__{name}" for name in TITLE_COLUMNS),
          "item__barcode", "item__title_id",
          *(f"item__title__{name}" for name in TITLE_COLUMNS),
          *(f"reader__{name}" for name in PERSON_COLUMNS))
    .order_by("order_id", "position", "id"),
    "order_ids", lists=("order_ids",))
_MEMBERS = PreparedRead(
    lambda family_ids: Reader.objects.filter(family_card_id__in=family_ids)
    .exclude(status=ReaderStatus.CLOSED).only(*PERSON_COLUMNS, "family_card_id")
    .order_by("last_name", "first_name", "id"),
    "family_ids", lists=("family_ids",))
_DUE_BACK = PreparedRead(  # circulation's households_active_loans, due by the day
    lambda reader_ids, family_ids, day: households_active_loans(
        [(reader_id, None) for reader_id in reader_ids]
        + [(None, family_id) for family_id in family_ids]).filter(due_date__lte=day),
    "reader_ids", "family_ids", "day", dates=("day",), lists=("reader_ids", "family_ids"))
_PHONES = PreparedRead(
    lambda reader_ids: ReaderPhone.objects.filter(reader_id__in=reader_ids)
    .order_by("reader_id", "position", "id"),
    "reader_ids", lists=("reader_ids",))
