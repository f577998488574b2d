"""Reads of reader and family cards that views, the desk and reports share."""
from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import connections
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import JSONArray, Reverse
from django.utils import timezone

from backend.core.calendar import working_days
from backend.core.models import RowsJSON, prefetched_set
from backend.core.phones import digits_of, to_e164
from backend.core.prepared import PreparedPages, PreparedRead
from backend.core.search import SEARCH_MATCHES_MAX, ranked_search
from backend.core.text import fold
from backend.readers.models import (
    CardAccess,
    CardChange,
    FamilyCard,
    FamilyStatus,
    GeocodeStatus,
    Reader,
    ReaderCategory,
    ReaderPhone,
    ReaderStatus,
)


def reader_queryset() -> QuerySet[Reader]:
    """Readers with everything a card shows, in a fixed number of queries."""
    return Reader.objects.select_related(
        "branch", "family_card", "consent_recorded_by"
    ).prefetch_related(Prefetch("phones", queryset=ReaderPhone.objects.order_by("position", "id")),
                       # Read as a set (Reader.categories): no order, so no join on the cards.
                       Prefetch("category_rows", queryset=ReaderCategory.objects.order_by()))


def _card_phones(reader_ids: list[int]) -> QuerySet[ReaderPhone]:
    return ReaderPhone.objects.filter(reader_id__in=reader_ids).order_by("position", "id")


def _card_categories(reader_ids: list[int]) -> QuerySet[ReaderCategory]:
    return ReaderCategory.objects.filter(reader_id__in=reader_ids).order_by()


# What reader_queryset prefetches, read by SQL built once per connection (core.prepared).
_CARD_PHONES = PreparedRead(_card_phones, "reader_ids", lists=("reader_ids",))
_CARD_CATEGORIES = PreparedRead(_card_categories, "reader_ids", lists=("reader_ids",))


def _rows_of(rows, readers: list[Reader], name: str) -> None:
    """Give each reader its `rows` as `reader.<name>.all()`, each row its reader, as
    `prefetch_related` does."""
    by_reader: dict[int, list] = {reader.pk: [] for reader in readers}
    for row in rows:
        by_reader[row.reader_id].append(row)
    for reader in readers:
        mine = by_reader[reader.pk]
        for row in mine:
            row._state.fields_cache["reader"] = reader
        prefetched_set(reader, name, mine)


def _columns(model) -> list[str]:
    """Every column of `model`, in the order its objects are made from (Model.from_db)."""
    return [field.attname for field in model._meta.concrete_fields]


# Who recorded a card's consent, as the card shows them (str(user): their names).
_CONSENT_BY = Reader._meta.get_field("consent_recorded_by").related_model
_CONSENT_BY_COLUMNS = [field.attname for field in _CONSENT_BY._meta.concrete_fields
                       if field.attname in ("id", "username", "first_name", "last_name")]


def with_card_rows(readers: QuerySet[Reader]) -> QuerySet[Reader]:
    """`readers` with their phones and categories (what reader_queryset prefetches) read in
    their own statement, as JSON, on PostgreSQL, and who recorded the consent as the columns
    of their name rather than a join (the join costs the database more to plan than the card
    to read); elsewhere as they are (the rows are then two reads of their own).
    reader_cards_completed makes them the prefetched rows and the related user."""
    if connections[readers.db].vendor != "postgresql":
        return readers
    phones = (ReaderPhone.objects.filter(reader_id=OuterRef("pk")).order_by("position", "id")
              .values_list(JSONArray(*_columns(ReaderPhone))))
    categories = (ReaderCategory.objects.filter(reader_id=OuterRef("pk")).order_by()
                  .values_list(JSONArray(*_columns(ReaderCategory))))
    related = readers.query.select_related
    if isinstance(related, dict) and "consent_recorded_by" in related:
        readers = readers.select_related(None).select_related(
            *(name for name in related if name != "consent_recorded_by"))
        consent_by = (_CONSENT_BY._base_manager.filter(pk=OuterRef("consent_recorded_by_id"))
                      .values_list(JSONArray(*_CONSENT_BY_COLUMNS)))
        readers = readers.annotate(card_consent_by=Subquery(consent_by))
    return readers.annotate(card_phones_rows=RowsJSON(phones),
                            card_category_rows=RowsJSON(categories))


def _rows_read_with(reader: Reader, name: str, model, rows: list) -> None:
    """The rows read with the card (with_card_rows) as `reader.<name>.all()`, model objects
    each with its reader, as `prefetch_related` gives them: each value as its field reads
    it from the database (a phone number's `from_db_value`). Their columns are numbers, text
    and booleans, which JSON holds as they are."""
    alias = reader._state.db
    connection = connections[alias]
    converted = [(index, field) for index, field in enumerate(model._meta.concrete_fields)
                 if hasattr(field, "from_db_value")]
    objects = []
    for row in rows:
        for index, field in converted:
            row[index] = field.from_db_value(row[index], None, connection)
        obj = model.from_db(alias, None, row)
        obj._state.fields_cache["reader"] = reader
        objects.append(obj)
    prefetched_set(reader, name, objects)


def reader_cards_completed(readers: list[Reader]) -> list[Reader]:
    """Readers read with reader_queryset's related objects (not its prefetches) given its
    prefetched phones and categories, as it gives them: those read with the cards
    (with_card_rows), else read prepared."""
    if readers and all(hasattr(reader, "card_phones_rows") for reader in readers):
        for reader in readers:
            _rows_read_with(reader, "phones", ReaderPhone, reader.__dict__.pop("card_phones_rows"))
            _rows_read_with(reader, "category_rows", ReaderCategory,
                            reader.__dict__.pop("card_category_rows"))
            if "card_consent_by" in reader.__dict__:
                # The user's name columns only, the rest deferred: what the card shows.
                row = reader.__dict__.pop("card_consent_by")
                reader._state.fields_cache["consent_recorded_by"] = None if row is None else (
                    _CONSENT_BY.from_db(reader._state.db, _CONSENT_BY_COLUMNS, row))
        return readers
    ids = list(dict.fromkeys(reader.pk for reader in readers))
    if ids:
        _rows_of(_CARD_PHONES.rows(reader_ids=ids), readers, "phones")
        _rows_of(_CARD_CATEGORIES.rows(reader_ids=ids), readers, "category_rows")
    return readers


def category_q(category: str) -> Q:
    """Readers in `category`, whether it is their main one or one of the others. A subquery,
    not a join: a reader is one row however many categories match (and a card written
    before categories had rows is still found by its main one)."""
    return Q(category=category) | Q(
        pk__in=ReaderCategory.objects.filter(category=category).values("reader_id"))


def _phone_form(text: str) -> tuple | None:
    """What a phone said as `text` is looked up by (phone_query), as values: the reversed
    last 7 digits (a short number), the number (E.164), the reversed last 10 digits (a long
    number that is not one), each None when not; or None when it has too few digits."""
    digits = digits_of(text)
    if len(digits) < 7:
        return None
    e164 = to_e164(text)
    return (digits[-7:][::-1] if len(digits) < 10 else None, e164,
            digits[-10:][::-1] if not e164 and len(digits) >= 10 else None)


def _phone_condition(short: str | None, number: str | None, long: str | None) -> Q:
    condition = Q(number_reversed__startswith=short) if short is not None else Q()
    if number is not None:
        condition |= Q(number=number)
    elif long is not None:
        condition |= Q(number_reversed__startswith=long)
    return condition


def phone_query(text: str) -> Q | None:
    """Match a phone said in any form: full number in any notation or its last 7+ digits.

    A condition on readers with the phones in a subquery rather than a join: a reader with
    two matching phones is one row, so no DISTINCT (over every column of the card) is
    needed. A full number is one index lookup; an ending is a prefix of the reversed number,
    an index lookup too on PostgreSQL (readers migration 0012), where "ends with" would read
    every phone in the country.
    """
    phones = _phone_readers(text)
    return None if phones is None else Q(pk__in=phones)


def _phone_readers(text: str) -> QuerySet | None:
    """The ids of the readers with a phone `text` may be (phone_query), or None when it has
    too few digits to be one."""
    form = _phone_form(text)
    return None if form is None else _phone_readers_of(*form)


def _phone_readers_of(short: str | None, number: str | None, long: str | None) -> QuerySet:
    return (ReaderPhone.objects.alias(number_reversed=Reverse("number"))
            .filter(_phone_condition(short, number, long)).order_by().values("reader_id"))


def phone_or_card_ending_query(text: str) -> Q | None:
    """Digits (and dashes) typed in the search box: a phone (phone_query) or the end of a
    card number. One subquery of both (a UNION), so that each side is an index lookup;
    "this phone OR that card" as two conditions would read every card. A card number's
    ending is a prefix of the reversed number, as a phone's is."""
    form = _phone_form(text)
    return None if form is None else _phone_or_card_q(*form, card=text[::-1])


def _phone_or_card_q(short: str | None, number: str | None, long: str | None, *,
                     card: str) -> Q:
    cards = (Reader.objects.alias(card_reversed=Reverse("card_number"))
             .filter(card_reversed__startswith=card).order_by().values("pk"))
    return Q(pk__in=_phone_readers_of(short, number, long).union(cards))


def _phone_search_q(query: str) -> Q | None:
    """A phone said in any form (or the end of a card number): None when `query` has letters
    or too few digits to be one."""
    by_phone = phone_query(query)
    if by_phone is None or any(ch.isalpha() for ch in query):
        return None
    # Digits (and dashes) may also be the end of a card number; a phone said with
    # "+", spaces or brackets cannot.
    if query.replace("-", "").isdigit():
        return phone_or_card_ending_query(query)
    return by_phone


READER_NAME_ORDER = ("last_name", "first_name", "id")


def reader_search(queryset: QuerySet[Reader], query: str, *,
                  limit: int | None = SEARCH_MATCHES_MAX) -> QuerySet[Reader]:
    """The readers of `queryset` that `query` finds, best first: the one search of the API,
    the phone desk and the admin's reader and family lists.

    A phone in any form (or its last 7 digits, or the end of a card number) finds by phone,
    ordered by name (`search_rank` 0 for all). Otherwise the name and card number however
    they are typed (see core.search): as written first (`search_rank` 0), then with Kazakh
    letters typed as Russian ones or in Latin (1), then with one typo in a word of 4 letters
    or more (2), each with the cards that start with the first word first, then by name; at
    most `limit` of them (None: all, for an export).
    """
    query = (query or "").strip()
    if not query:
        return queryset
    by_phone = _phone_search_q(query)
    if by_phone is not None:
        return (queryset.filter(by_phone).annotate(search_rank=Value(0))
                .order_by(*READER_NAME_ORDER))
    return ranked_search(queryset, query, order=READER_NAME_ORDER, limit=limit)


def _phone_search(short: str | None = None, number: str | None = None,
                  long: str | None = None, card: str | None = None) -> QuerySet[Reader]:
    """reader_list's phone search (reader_search), its cards' related objects selected,
    not prefetched (reader_cards_completed)."""
    condition = (_phone_or_card_q(short, number, long, card=card) if card is not None
                 else Q(pk__in=_phone_readers_of(short, number, long)))
    return (reader_queryset().prefetch_related(None).filter(condition)
            .annotate(search_rank=Value(0)).order_by(*READER_NAME_ORDER))


def _readers_by_phone(short: str | None = None, number: str | None = None,
                      long: str | None = None) -> QuerySet[Reader]:
    """readers_by_phone, its cards' related objects selected, not prefetched (their phones
    and categories read with them where the database can, with_card_rows)."""
    return with_card_rows(reader_queryset().prefetch_related(None)
                          .filter(Q(pk__in=_phone_readers_of(short, number, long))))


# A phone search by each form a phone is looked up by (short, number, long, card ending),
# its SQL built once per connection (core.prepared).
_PHONE_SEARCHES: dict[tuple[str, ...], PreparedRead] = {}
_BY_PHONE: dict[tuple[str, ...], PreparedRead] = {}


def _prepared(kept: dict, make, values: dict, more=None) -> tuple[PreparedRead, dict]:
    ids = {name: value for name, value in values.items() if value is not None}
    names = tuple(ids)
    read = kept.get((names, more) if more is not None else names)
    if read is None:
        if more is not None:
            make = _made_more(make, more)
        read = kept[(names, more) if more is not None else names] = PreparedRead(
            make, *names, texts=tuple(name for name in names if name == "number"),
            likes=tuple(name for name in names if name != "number"))
    return read, ids


def _made_more(make, more):
    def made(**ids) -> QuerySet:
        return more(make(**ids))

    return made


def _phone_search_form(query: str) -> dict | None:
    """The values reader_search's phone search (_phone_search_q) looks `query` up by, or
    None when it is not one."""
    query = (query or "").strip()
    form = _phone_form(query)
    if form is None or any(ch.isalpha() for ch in query):
        return None
    short, number, long = form
    # Digits (and dashes) may also be the end of a card number.
    card = query[::-1] if query.replace("-", "").isdigit() else None
    return {"short": short, "number": number, "long": long, "card": card}


def reader_list_pages(*, filters: dict | None = None) -> QuerySet[Reader] | PreparedPages:
    """reader_list for a paginator: a search by phone alone (the phone desk's) read by SQL
    built once per connection, pages of the same cards with the same prefetches; the
    rest the queryset itself."""
    filters = filters or {}
    form = _phone_search_form(filters.get("q") or "")
    if form is None or any(filters.get(name) is not None for name in filters
                           if name != "q"):
        return reader_list(filters=filters)
    read, ids = _prepared(_PHONE_SEARCHES, _phone_search, form)
    return PreparedPages(read, reader_cards_completed, **ids)


def reader_list(*, filters: dict | None = None,
                search_limit: int | None = SEARCH_MATCHES_MAX) -> QuerySet[Reader]:
    """The readers `filters` ask for; a search (`q`) is made last, among them, and gives at
    most `search_limit` cards (None: all)."""
    filters = filters or {}
    qs = reader_queryset()
    for name in ("status", "branch", "language"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("category"):
        qs = qs.filter(category_q(filters["category"]))
    if filters.get("settlement"):
        settlements = Reader.objects.values_list("settlement", flat=True).distinct()
        wanted = {s for s in settlements if s and s.casefold() == filters["settlement"].casefold()}
        qs = qs.filter(settlement__in=wanted or {filters["settlement"]})
    if filters.get("family_card"):
        qs = qs.filter(family_card=filters["family_card"])
    if filters.get("has_coordinates") is not None:
        missing = reader_place_missing_q()
        qs = qs.filter(missing) if not filters["has_coordinates"] else qs.exclude(missing)
    if filters.get("q"):
        qs = reader_search(qs, filters["q"], limit=search_limit)
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


def readers_by_phone_read(phone: str, *,
                          more: Callable[[QuerySet[Reader]], QuerySet[Reader]] | None = None
                          ) -> list[Reader]:
    """`list(readers_by_phone(phone))`, read by SQL built once per connection. `more`: what
    the caller reads with the cards, a function of their queryset (annotations), the same
    function at each call (the SQL is kept for it)."""
    form = _phone_form(phone)
    if form is None:
        return []
    read, ids = _prepared(_BY_PHONE, _readers_by_phone,
                          dict(zip(("short", "number", "long"), form)), more)
    return reader_cards_completed(read.rows(**ids))


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
        members = reader_search(Reader.objects.filter(family_card__isnull=False), filters["q"])
        qs = qs.filter(Q(pk__in=members.order_by().values("family_card_id"))
                       | Q(number__iexact=filters["q"].strip()))
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


def _windows_of(people) -> dict[int, list[tuple[str, str]]]:
    windows: dict[int, list[tuple[str, str]]] = {}
    for person in people:
        for slot in person.availability or []:
            windows.setdefault(int(slot["weekday"]), []).append((slot["start"], slot["end"]))
    return {day: sorted(set(slots)) for day, slots in windows.items()}


def home_windows(reader: Reader) -> dict[int, list[tuple[str, str]]]:
    """Weekday -> [(start, end)] when someone of the household is at home."""
    people = [reader]
    family = reader.family_card
    if family is not None and family.status == FamilyStatus.OPEN:
        people = list(family.members.all()) or [reader]
    return _windows_of(people)


def family_home_windows(family: FamilyCard | None) -> dict[int, list[tuple[str, str]]]:
    """Weekday -> [(start, end)] when a member of an open family card is at home (empty
    for a closed card or when nobody recorded any)."""
    if family is None or family.status != FamilyStatus.OPEN:
        return {}
    return _windows_of(family.members.all())


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


# Possible duplicates: one rule for the card form, the API and the import --------------------

# The same person, as far as a card can tell: the same birth date and either one of the same
# phones or the same last and first name (any case, ё as е). Compared with open cards only:
# a closed or anonymised card is not a card the person has.
DuplicateKey = tuple[str, ...]


@dataclass(frozen=True)
class PossibleDuplicate:
    """An open card that may be the same person, and why (`reason`: "phone" or "name")."""

    pk: int
    card_number: str
    full_name: str
    birth_date: datetime.date
    reason: str

    def as_dict(self) -> dict:
        return {"id": self.pk, "card_number": self.card_number, "full_name": self.full_name,
                "reason": self.reason}


def _birth_text(value: datetime.date | str | None) -> str:
    if not value:
        return ""
    return value.isoformat() if isinstance(value, datetime.date) else str(value)[:10]


def duplicate_keys(*, last_name: str = "", first_name: str = "",
                   birth_date: datetime.date | str | None = None,
                   phones: Iterable[str] = ()) -> list[DuplicateKey]:
    """What makes a card the same person as another: ("phone", E.164, birth date) for each
    phone and ("name", last, first, birth date). None without a birth date."""
    born = _birth_text(birth_date)
    if not born:
        return []
    keys: list[DuplicateKey] = [("phone", str(number), born)
                                for number in dict.fromkeys(phones) if number]
    if fold(last_name) and fold(first_name):
        keys.append(("name", fold(last_name), fold(first_name), born))
    return keys


def _open_cards() -> Q:
    return ~Q(status=ReaderStatus.CLOSED) & Q(anonymized_at__isnull=True)


def _chunks(items: list, size: int = 500) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


class DuplicateLookup:
    """The open cards matching many keys at once (an import's thousands of rows).

    The queries are built once (turning thousands of phone numbers into their stored form
    is most of the cost) and `run()` can be called again cheaply: the import runs it before
    its write transaction and once more inside it, to be sure nothing changed in between.
    """

    _FIELDS = ("pk", "card_number", "last_name", "first_name", "patronymic", "birth_date")

    def __init__(self, keys: Iterable[DuplicateKey], *, exclude: int | None = None) -> None:
        self.keys = set(keys)
        numbers = sorted({key[1] for key in self.keys if key[0] == "phone"})
        births = sorted({key[-1] for key in self.keys if key[0] == "name"})
        open_readers = Reader.objects.filter(_open_cards(), birth_date__isnull=False)
        if exclude is not None:
            open_readers = open_readers.exclude(pk=exclude)
        phones = ReaderPhone.objects.filter(reader__in=open_readers.values("pk"))
        self._phone_queries = [
            phones.filter(number__in=chunk).values_list(
                "number", *(f"reader__{name}" for name in self._FIELDS))
            for chunk in _chunks(numbers)
        ]
        self._name_queries = [
            open_readers.filter(birth_date__in=chunk).values_list(*self._FIELDS)
            for chunk in _chunks(births)
        ]

    def run(self) -> dict[DuplicateKey, list[PossibleDuplicate]]:
        """{key: the open cards it matches, by card number}; keys that match none are left out."""
        found: dict[DuplicateKey, dict[int, PossibleDuplicate]] = {}

        def add(key: DuplicateKey, row: tuple, reason: str) -> None:
            if key not in self.keys:
                return
            pk, card_number, last, first, patronymic, born = row
            name = " ".join(p for p in (last, first, patronymic) if p)
            found.setdefault(key, {})[pk] = PossibleDuplicate(pk, card_number, name, born,
                                                              reason)

        for query in self._phone_queries:
            for number, *row in query.all():  # all(): a fresh run, not the cache
                add(("phone", str(number), row[-1].isoformat()), tuple(row), "phone")
        for query in self._name_queries:
            for row in query.all():
                add(("name", fold(row[2]), fold(row[3]), row[-1].isoformat()), row, "name")
        return {key: sorted(cards.values(), key=lambda c: (c.card_number, c.pk))
                for key, cards in found.items()}


def reader_duplicates(*, last_name: str = "", first_name: str = "",
                      birth_date: datetime.date | str | None = None,
                      phones: Iterable[str] = (),
                      exclude: int | None = None) -> list[PossibleDuplicate]:
    """The open cards that may be the same person as a card with these details (see
    duplicate_keys), each once, by card number; `exclude` is the card itself when it is
    being changed. The card form and the API ask it before saving; the import asks it for
    all its rows at once through DuplicateLookup."""
    keys = duplicate_keys(last_name=last_name, first_name=first_name, birth_date=birth_date,
                          phones=phones)
    if not keys:
        return []
    cards: dict[int, PossibleDuplicate] = {}
    found = DuplicateLookup(keys, exclude=exclude).run()
    for key in keys:  # phones first: that reason is named when both hold
        for card in found.get(key, []):
            cards.setdefault(card.pk, card)
    return sorted(cards.values(), key=lambda c: (c.card_number, c.pk))
