"""Every write to reader cards and family cards. Each change is recorded in CardChange."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.tabular import Progress
from backend.core.text import fold, search_key
from backend.core.web import client_address
from backend.readers.bulk import PreparedWrites, insert_statements, reader_problems, reserve_ids
from backend.readers.cards import card_number_format, family_card_number_format
from backend.readers.geocoding import reader_geocode_prepare, reader_geocode_wanted
from backend.readers.models import (
    CardAccess,
    CardChange,
    Category,
    FamilyCard,
    FamilyStatus,
    Reader,
    ReaderCategory,
    ReaderPhone,
    ReaderStatus,
    categories_ordered,
)
from backend.readers.phones import check_phones, phone_rows, set_phones
from backend.readers.selectors import PossibleDuplicate, reader_duplicates
from backend.readers.tasks import family_card_geocode_task, reader_geocode_task

if TYPE_CHECKING:
    import datetime

    from django.http import HttpRequest

    from backend.accounts.models import User

READER_FIELDS = (
    "branch", "last_name", "first_name", "patronymic", "birth_date", "category", "status",
    "language", "access_notes", "preferences", "availability", "caregiver_name",
    "caregiver_relation", "caregiver_phone", "document_type", "document_number",
    "document_valid_until", "consent_date", *Reader.ADDRESS_FIELDS, "contact_channel",
)
FAMILY_FIELDS = ("name", "branch", "loan_limit", "access_notes", *FamilyCard.ADDRESS_FIELDS)


def _plain(value: Any) -> Any:
    """A JSON-friendly form of a field value for the history."""
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def reader_snapshot(reader: Reader, phones: Iterable[ReaderPhone] | None = None,
                    categories: list[str] | None = None) -> dict[str, Any]:
    """The card as its history records it; `phones` and `categories` (if given) instead of
    the stored ones, for a card whose phones and categories are not written yet."""
    snap = {name: _plain(getattr(reader, name)) for name in READER_FIELDS}
    snap["categories"] = list(reader.category_codes if categories is None else categories)
    snap["family_card"] = reader.family_card_id
    snap["phones"] = [
        {"number": str(p.number), "kind": p.kind, "sms_ok": p.sms_ok}
        for p in (reader.phones.all() if phones is None else phones)
    ]
    return snap


def family_snapshot(family: FamilyCard) -> dict[str, Any]:
    snap = {name: _plain(getattr(family, name)) for name in FAMILY_FIELDS}
    snap["status"] = family.status
    snap["head"] = family.head_id
    snap["members"] = sorted(family.members.values_list("id", flat=True))
    return snap


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that differ."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def reader_search_text(reader: Reader) -> str:
    return fold(
        " ".join(
            p for p in (reader.last_name, reader.first_name, reader.patronymic, reader.card_number)
            if p
        )
    )[:500]


def reader_search_fields(reader: Reader) -> None:
    """Set the card's search columns: the name as written (folded case) and its key, the
    name however it is typed (selectors.reader_search reads both)."""
    reader.search_text = reader_search_text(reader)
    reader.search_key = search_key(reader.search_text)[:600]


def _check_consent(reader: Reader) -> None:
    if reader.status == ReaderStatus.ACTIVE and not reader.consent_date:
        raise ApplicationError(
            "reader.consent_required",
            _("A card cannot become active without consent to personal data processing."),
            fields={"status": [_("Record the consent date first.")]},
        )


def _check_categories(codes: Iterable[str]) -> None:
    unknown = [code for code in codes if code not in Category.values]
    if unknown:
        raise ApplicationError(
            "reader.bad_category",
            _("Unknown category: %(code)s.") % {"code": unknown[0]},
            fields={"categories": [_("Choose the categories from the list.")]},
        )


def reader_categories_wanted(reader: Reader, data: dict[str, Any],
                             current: list[str] | None = None) -> list[str]:
    """The card's categories after writing `data`: the main one (`reader.category`) first.

    `data["categories"]`, when given, are all of them (the main one is added if missing).
    Otherwise the others are kept and only the main one follows `category`.
    """
    if "categories" in data:
        codes = list(data["categories"] or [])
        _check_categories(codes)
    else:
        previous_main = (current or [""])[0]
        codes = [code for code in current or [] if code != previous_main]
    return categories_ordered(reader.category, codes)


def _set_categories(reader: Reader, codes: list[str]) -> None:
    """Make exactly `codes` the card's categories (rows added and removed, none rewritten)."""
    have = set(ReaderCategory.objects.filter(reader=reader).values_list("category", flat=True))
    gone = have - set(codes)
    if gone:
        ReaderCategory.objects.filter(reader=reader, category__in=gone).delete()
    ReaderCategory.objects.bulk_create(
        [ReaderCategory(reader=reader, category=code) for code in codes if code not in have])


def _geocode_after_commit(reader_ids: list[int], family_ids: Iterable[int] = ()) -> None:
    """Look these cards' addresses up once the transaction commits; a geocoder that fails
    never undoes the save (robust: the error is logged)."""
    if reader_ids:
        transaction.on_commit(
            lambda: [reader_geocode_task.delay(pk) for pk in reader_ids], robust=True
        )
    for pk in family_ids:
        transaction.on_commit(lambda pk=pk: family_card_geocode_task.delay(pk), robust=True)


def _apply(reader: Reader, data: dict[str, Any], by) -> None:
    for name in READER_FIELDS:
        if name in data:
            value = data[name]
            if value is None and name not in (
                "birth_date", "document_valid_until", "consent_date", "floor", "elevator",
                "lat", "lon",
            ):
                value = "" if name != "preferences" and name != "availability" else None
            setattr(reader, name, value)
    if reader.preferences is None:
        reader.preferences = {}
    if reader.availability is None:
        reader.availability = []
    if "consent_date" in data and data["consent_date"]:
        reader.consent_recorded_by = by


POSSIBLE_DUPLICATE = "reader.possible_duplicate"


def reader_duplicates_of(data: dict[str, Any], *, exclude: int | None = None
                         ) -> list[PossibleDuplicate]:
    """The open cards that may be the person `data` describes (selectors.reader_duplicates)."""
    return reader_duplicates(
        last_name=data.get("last_name") or "", first_name=data.get("first_name") or "",
        birth_date=data.get("birth_date"),
        phones=[str(p["number"]) for p in data.get("phones") or [] if p.get("number")],
        exclude=exclude)


def duplicates_message(cards: list[PossibleDuplicate]) -> str:
    names = ", ".join(f"{card.card_number} {card.full_name}" for card in cards)
    return ngettext(
        "This may be the same person as the open card %(cards)s (the same birth date and "
        "phone or name).",
        "This may be the same person as the open cards %(cards)s (the same birth date and "
        "phone or name).", len(cards)) % {"cards": names}


def _refuse_duplicates(data: dict[str, Any], *, exclude: int | None = None) -> None:
    cards = reader_duplicates_of(data, exclude=exclude)
    if cards:
        raise ConflictError(POSSIBLE_DUPLICATE, duplicates_message(cards), fields={
            "confirm_duplicate": [_("Check those cards; if this is a different person, "
                                    "confirm to save the card anyway.")],
            "duplicates": [card.as_dict() for card in cards]})


@transaction.atomic
def reader_create(
    *, data: dict[str, Any], by: User | None = None, action: str = CardChange.Action.CREATED,
    refuse_duplicates: bool = False,
) -> Reader:
    """Create a reader card and give it a card number (branch code + sequence).

    Without a consent date the card starts paused: it cannot be active without consent.
    `data["categories"]` are the card's categories besides the main one (`category`), which
    is always among them. Whether the person already has a card is for the caller to ask
    first (selectors.reader_duplicates): with `refuse_duplicates` this does it and raises
    `reader.possible_duplicate` (409, naming the cards) when there are any. The admin form
    warns before saving, the API refuses unless told the person is another, the import
    skips or flags.
    """
    phones = data.get("phones", [])
    check_phones(phones)
    if refuse_duplicates:
        _refuse_duplicates(data)
    reader = reader_build(data, by)
    categories = reader_categories_wanted(reader, data)
    _check_consent(reader)
    reader.full_clean(exclude=["card_number", "search_text", "search_key"])
    reader.save()
    reader.card_number = card_number_format(reader.branch.code, reader.pk)
    reader_search_fields(reader)
    reader.save(update_fields=["card_number", "search_text", "search_key"])
    set_phones(reader, phones)
    _set_categories(reader, categories)
    CardChange.objects.create(
        reader=reader, actor=by, action=action, changes=diff({}, reader_snapshot(reader))
    )
    if reader_geocode_wanted(reader):
        _geocode_after_commit([reader.pk])
    return reader


def reader_build(data: dict[str, Any], by: User | None = None) -> Reader:
    """An unsaved card with `data` applied as reader_create applies it: without a status,
    it is active if a consent date is given, else paused."""
    if data.get("status") in (None, ""):
        data = {
            **data,
            "status": ReaderStatus.ACTIVE if data.get("consent_date") else ReaderStatus.PAUSED,
        }
    reader = Reader(created_by=by)
    _apply(reader, data, by)
    reader_geocode_prepare(reader, None)
    return reader


def readers_create_bulk(
    *,
    rows: list[dict[str, Any]],
    by: User | None = None,
    action: str = CardChange.Action.IMPORTED,
    progress: Progress | None = None,
) -> list[Reader]:
    """Create many reader cards in a few queries; the same cards reader_create would make.

    `rows` are flat dicts as ReaderInputSerializer.to_flat() gives them (branch a Branch).
    All or nothing. Each card gets its number (branch code + id), its phones and an entry in
    its history. Raises ApplicationError if a row breaks a rule (`fields.rows` names the
    row, counting from 1, and the field).
    """
    readers = []
    for index, flat in enumerate(rows, start=1):
        reader = reader_build(flat, by)
        problems = reader_problems(reader)
        if problems:
            name, (code, message) = next(iter(problems.items()))
            raise ApplicationError(code, message, fields={
                "rows": [{"row": index, "column": name, "code": code, "message": message}]})
        readers.append(reader)
    writes = readers_prepare_bulk(readers, rows, by=by, action=action)
    with transaction.atomic():
        if progress:
            progress("write", 0, len(readers))
        writes.run(progress)
        _geocode_after_commit([r.pk for r in readers if reader_geocode_wanted(r)])
    if progress:
        progress("write", len(readers), len(readers))
    return readers


def readers_prepare_bulk(
    readers: list[Reader], rows: list[dict[str, Any]], *, by: User, action: str
) -> PreparedWrites:
    """Everything readers_create_bulk writes for checked, unsaved cards (made by reader_build
    from `rows`), as INSERTs to run in the caller's transaction: the cards with their
    numbers and search text, their phones, their history. Their ids are reserved now."""
    phones: list[ReaderPhone] = []
    categories: list[ReaderCategory] = []
    changes: list[CardChange] = []
    for reader, pk, flat in zip(readers, reserve_ids(Reader, len(readers)), rows):
        reader.pk = pk
        reader.card_number = card_number_format(reader.branch.code, pk)
        reader_search_fields(reader)
        own = phone_rows(reader, flat.get("phones", []))
        phones.extend(own)
        codes = reader_categories_wanted(reader, flat)
        categories.extend(ReaderCategory(reader=reader, category=code) for code in codes)
        changes.append(CardChange(reader=reader, actor=by, action=action,
                                  changes=diff({}, reader_snapshot(reader, own, codes))))
    statements = [
        *insert_statements(Reader, readers, with_pk=True),
        *insert_statements(ReaderPhone, phones, with_pk=False),
        *insert_statements(ReaderCategory, categories, with_pk=False),
        *insert_statements(CardChange, changes, with_pk=False),
    ]
    return PreparedWrites(readers, statements)


IDENTITY_FIELDS = ("last_name", "first_name", "birth_date", "phones")


@transaction.atomic
def reader_update(*, reader: Reader, data: dict[str, Any], by: User | None = None,
                  refuse_duplicates: bool = False) -> Reader:
    """Change a reader card; only the fields given change. Phones, when given, are replaced;
    so are the categories (see reader_categories_wanted: the main one is always kept).
    With `refuse_duplicates`, a change of name, birth date or phones that makes the card
    look like another open card raises `reader.possible_duplicate` (as reader_create)."""
    check_phones(data.get("phones"))
    reader = Reader.objects.select_for_update().get(pk=reader.pk)
    before = reader_snapshot(reader)
    if refuse_duplicates and any(name in data for name in IDENTITY_FIELDS):
        _refuse_duplicates({**before, **data}, exclude=reader.pk)
    _apply(reader, data, by)
    categories = reader_categories_wanted(reader, data, before["categories"])
    look_up = reader_geocode_prepare(reader, before)
    _check_consent(reader)
    if reader.status == ReaderStatus.CLOSED and before["status"] != ReaderStatus.CLOSED:
        reader.closed_at = timezone.now()
    elif reader.status != ReaderStatus.CLOSED:
        reader.closed_at = None
    reader_search_fields(reader)
    reader.full_clean(exclude=["search_text", "search_key"])
    reader.save()
    if "phones" in data:
        set_phones(reader, data["phones"])
    if categories != before["categories"]:
        _set_categories(reader, categories)
    changes = diff(before, reader_snapshot(reader))
    if changes:
        CardChange.objects.create(
            reader=reader, actor=by, action=CardChange.Action.UPDATED, changes=changes
        )
    if look_up:
        _geocode_after_commit([reader.pk])
    return reader


# Family cards ------------------------------------------------------------------------------


def _set_members(family: FamilyCard, member_ids: list[int], by) -> None:
    """Make exactly these readers the members. A reader is in at most one open family card."""
    members = list(Reader.objects.select_for_update().filter(pk__in=member_ids))
    found = {r.pk for r in members}
    missing = [pk for pk in member_ids if pk not in found]
    if missing:
        raise ApplicationError(
            "family.reader_not_found",
            _("Reader %(id)s does not exist.") % {"id": missing[0]},
            fields={"members": [_("Reader %(id)s does not exist.") % {"id": missing[0]}]},
        )
    for reader in members:
        if reader.family_card_id and reader.family_card_id != family.pk:
            raise ApplicationError(
                "family.reader_in_other_family",
                _("%(name)s is already on family card %(number)s.")
                % {"name": reader.full_name, "number": reader.family_card.number},
                fields={"members": [_("%(name)s is already on another family card.")
                                    % {"name": reader.full_name}]},
                status_code=409,
            )
    leaving = Reader.objects.filter(family_card=family).exclude(pk__in=member_ids)
    for reader in leaving.select_for_update():
        before = reader_snapshot(reader)
        reader.family_card = None
        reader.save(update_fields=["family_card", "updated_at"])
        CardChange.objects.create(
            reader=reader, actor=by, action=CardChange.Action.UPDATED,
            changes=diff(before, reader_snapshot(reader)),
        )
    for reader in members:
        if reader.family_card_id == family.pk:
            continue
        before = reader_snapshot(reader)
        reader.family_card = family
        reader.save(update_fields=["family_card", "updated_at"])
        CardChange.objects.create(
            reader=reader, actor=by, action=CardChange.Action.UPDATED,
            changes=diff(before, reader_snapshot(reader)),
        )


def _check_head(family: FamilyCard, member_ids: list[int]) -> None:
    if family.head_id is not None and family.head_id not in member_ids:
        raise ApplicationError(
            "family.head_not_member",
            _("The head of household must be one of the members."),
            fields={"head": [_("The head of household must be one of the members.")]},
        )


@transaction.atomic
def family_card_create(*, data: dict[str, Any], by: User | None = None) -> FamilyCard:
    member_ids = list(dict.fromkeys(data.get("members", [])))
    family = FamilyCard()
    for name in FAMILY_FIELDS:
        if name in data:
            setattr(family, name, data[name] if data[name] is not None else
                    (None if name in ("floor", "elevator", "lat", "lon") else ""))
    head = data.get("head")
    family.head_id = head.pk if isinstance(head, Reader) else head
    if family.head_id and family.head_id not in member_ids:
        member_ids.insert(0, family.head_id)
    _check_head(family, member_ids)
    reader_geocode_prepare(family, None)
    family.full_clean(exclude=["number", "head"])
    family.save()
    family.number = family_card_number_format(family.branch.code, family.pk)
    family.save(update_fields=["number"])
    _set_members(family, member_ids, by)
    CardChange.objects.create(
        family_card=family, actor=by, action=CardChange.Action.CREATED,
        changes=diff({}, family_snapshot(family)),
    )
    if reader_geocode_wanted(family):
        _geocode_after_commit([], [family.pk])
    return family


@transaction.atomic
def family_card_update(*, family: FamilyCard, data: dict[str, Any],
                       by: User | None = None) -> FamilyCard:
    """Change a family card. Closing it releases its members."""
    family = FamilyCard.objects.select_for_update().get(pk=family.pk)
    before = family_snapshot(family)
    for name in FAMILY_FIELDS:
        if name in data:
            setattr(family, name, data[name] if data[name] is not None else
                    (None if name in ("floor", "elevator", "lat", "lon") else ""))
    if "head" in data:
        head = data["head"]
        family.head_id = head.pk if isinstance(head, Reader) else head
    member_ids = (
        list(dict.fromkeys(data["members"])) if "members" in data else before["members"]
    )
    status = data.get("status", family.status)
    if status == FamilyStatus.CLOSED:
        if family.status != FamilyStatus.CLOSED:
            family.closed_at = timezone.now()
        family.status = FamilyStatus.CLOSED
        member_ids = []
        family.head_id = None
    elif status == FamilyStatus.OPEN and family.status == FamilyStatus.CLOSED:
        family.status = FamilyStatus.OPEN
        family.closed_at = None
    if family.head_id and family.head_id not in member_ids:
        member_ids.insert(0, family.head_id)
    _check_head(family, member_ids)
    look_up = reader_geocode_prepare(family, before)
    family.full_clean(exclude=["head"])
    family.save()
    _set_members(family, member_ids, by)
    changes = diff(before, family_snapshot(family))
    if changes:
        CardChange.objects.create(
            family_card=family, actor=by,
            action=CardChange.Action.CLOSED if status == FamilyStatus.CLOSED
            and before["status"] != FamilyStatus.CLOSED else CardChange.Action.UPDATED,
            changes=changes,
        )
    if look_up:
        _geocode_after_commit([], [family.pk])
    return family


# Who opened which card --------------------------------------------------------------------------


def _card_ids(cards: Iterable) -> list[int]:
    """Ids of cards given as model objects or ids, in order, once each."""
    ids = (getattr(card, "pk", card) for card in cards)
    return list(dict.fromkeys(int(pk) for pk in ids if pk is not None))


def card_access_record(
    *,
    request: HttpRequest,
    action: str,
    channel: str,
    readers: Iterable[Reader | int] = (),
    family_cards: Iterable[FamilyCard | int] = (),
    count: int | None = None,
) -> CardAccess | None:
    """Write down that `request.user` was shown these reader and family cards (objects or
    ids): ONE row for the request naming them all. On PostgreSQL the row and its links are
    one statement (`_access_written_at_once`); elsewhere one INSERT and one bulk INSERT of
    links a kind of card, in a transaction. `count` is the number of cards shown (an
    export's total); by default, the cards named. Nothing is written when no card was
    shown."""
    reader_ids, family_ids = _card_ids(readers), _card_ids(family_cards)
    if not reader_ids and not family_ids and not count:
        return None
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    access = CardAccess(
        user=user, action=action, channel=channel, ip=client_address(request) or None,
        path=(getattr(request, "path", "") or "")[:200],
        count=count if count is not None else len(reader_ids) + len(family_ids))
    connection = connections[router.db_for_write(CardAccess)]
    if connection.vendor == "postgresql":
        _access_written_at_once(connection, access, reader_ids, family_ids)
        return access
    with transaction.atomic(using=connection.alias):
        access.save(using=connection.alias)
        if reader_ids:
            through = CardAccess.readers.through
            through.objects.using(connection.alias).bulk_create(
                [through(cardaccess_id=access.pk, reader_id=pk) for pk in reader_ids],
                batch_size=1000)
        if family_ids:
            through = CardAccess.family_cards.through
            through.objects.using(connection.alias).bulk_create(
                [through(cardaccess_id=access.pk, familycard_id=pk) for pk in family_ids],
                batch_size=1000)
    return access


def _access_written_at_once(connection, access: CardAccess, reader_ids: list[int],
                            family_ids: list[int]) -> None:
    """The access row and its links in one statement (a data-modifying WITH: atomic on its
    own, no transaction of its own needed), the values as `save()` and `bulk_create()`
    put them in; `access` then is as `save()` leaves it."""
    qn = connection.ops.quote_name
    meta = CardAccess._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    params: list[Any] = [field.get_db_prep_save(field.pre_save(access, True), connection)
                         for field in fields]
    pk = qn(meta.pk.column)
    parts = [f"access AS (INSERT INTO {qn(meta.db_table)} "
             f"({', '.join(qn(field.column) for field in fields)}) "
             f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {pk})"]
    for name, ids in (("readers", reader_ids), ("family_cards", family_ids)):
        if ids:
            m2m = meta.get_field(name)
            parts.append(
                f"{name} AS (INSERT INTO {qn(m2m.remote_field.through._meta.db_table)} "
                f"({qn(m2m.m2m_column_name())}, {qn(m2m.m2m_reverse_name())}) "
                f"SELECT access.{pk}, card FROM access, unnest(%s::bigint[]) AS card)")
            params.append(ids)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {pk} FROM access", params)
        access.pk = cursor.fetchone()[0]
    access._state.adding = False
    access._state.db = connection.alias


# A number said STOP or START (the outbox's listeners, registered in ReadersConfig.ready()).


def _reader_messages_set(*, number: str, opted_out_at, sms_ok: bool) -> list[int]:
    from backend.readers.selectors import readers_using_phone

    changed = []
    for reader in readers_using_phone(number).prefetch_related("phones"):
        before, old = reader_snapshot(reader), reader.messages_opt_out_at
        ReaderPhone.objects.filter(reader=reader, number=number).update(sms_ok=sms_ok)
        reader.messages_opt_out_at = (old or opted_out_at) if opted_out_at else None
        reader.save(update_fields=["messages_opt_out_at"])
        reader = Reader.objects.prefetch_related("phones").get(pk=reader.pk)
        changes = diff(before, reader_snapshot(reader))
        new = reader.messages_opt_out_at
        changes["messages_opt_out_at"] = [old.isoformat() if old else None,
                                          new.isoformat() if new else None]
        CardChange.objects.create(reader=reader, actor=None, action=CardChange.Action.UPDATED,
                                  changes=changes)
        changed.append(reader.pk)
    return changed


@transaction.atomic
def reader_phone_opt_out(*, number: str, keyword: str = "STOP",
                         now: datetime.datetime | None = None) -> list[int]:
    """The number said STOP: on every card that uses it the phone's SMS is off and the card
    says when messages were refused (kept in its history). Answers the cards' ids."""
    return _reader_messages_set(number=number, opted_out_at=now or timezone.now(), sms_ok=False)


@transaction.atomic
def reader_phone_opt_in(*, number: str, now: datetime.datetime | None = None) -> list[int]:
    """START: the cards that use the number take messages again. Answers the cards' ids."""
    return _reader_messages_set(number=number, opted_out_at=None, sms_ok=True)
