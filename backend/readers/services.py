"""Every write to reader cards and family cards. Each change is recorded in CardChange."""
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError
from backend.core.tabular import Progress
from backend.core.text import fold
from backend.core.web import client_address
from backend.readers.bulk import PreparedWrites, insert_statements, reader_problems, reserve_ids
from backend.readers.models import (
    CardAccess,
    CardChange,
    FamilyCard,
    FamilyStatus,
    Reader,
    ReaderPhone,
    ReaderStatus,
)
from backend.readers.phones import check_phones, phone_rows, set_phones

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


def reader_snapshot(reader: Reader, phones: Iterable[ReaderPhone] | None = None
                    ) -> dict[str, Any]:
    """The card as its history records it; `phones` (if given) instead of the stored ones,
    for a card whose phones are not written yet."""
    snap = {name: _plain(getattr(reader, name)) for name in READER_FIELDS}
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


def _card_number(branch_code: str, pk: int) -> str:
    return f"{branch_code}-{pk:05d}"


def _check_consent(reader: Reader) -> None:
    if reader.status == ReaderStatus.ACTIVE and not reader.consent_date:
        raise ApplicationError(
            "reader.consent_required",
            _("A card cannot become active without consent to personal data processing."),
            fields={"status": [_("Record the consent date first.")]},
        )


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


@transaction.atomic
def reader_create(
    *, data: dict[str, Any], by=None, action: str = CardChange.Action.CREATED
) -> Reader:
    """Create a reader card and give it a card number (branch code + sequence).

    Without a consent date the card starts paused: it cannot be active without consent.
    """
    phones = data.get("phones", [])
    check_phones(phones)
    reader = reader_build(data, by)
    _check_consent(reader)
    reader.full_clean(exclude=["card_number", "search_text"])
    reader.save()
    reader.card_number = _card_number(reader.branch.code, reader.pk)
    reader.search_text = reader_search_text(reader)
    reader.save(update_fields=["card_number", "search_text"])
    set_phones(reader, phones)
    CardChange.objects.create(
        reader=reader, actor=by, action=action, changes=diff({}, reader_snapshot(reader))
    )
    return reader


def reader_build(data: dict[str, Any], by=None) -> Reader:
    """An unsaved card with `data` applied as reader_create applies it: without a status,
    it is active if a consent date is given, else paused."""
    if data.get("status") in (None, ""):
        data = {
            **data,
            "status": ReaderStatus.ACTIVE if data.get("consent_date") else ReaderStatus.PAUSED,
        }
    reader = Reader(created_by=by)
    _apply(reader, data, by)
    return reader


def readers_create_bulk(
    *,
    rows: list[dict[str, Any]],
    by=None,
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
    if progress:
        progress("write", len(readers), len(readers))
    return readers


def readers_prepare_bulk(
    readers: list[Reader], rows: list[dict[str, Any]], *, by, action: str
) -> PreparedWrites:
    """Everything readers_create_bulk writes for checked, unsaved cards (made by reader_build
    from `rows`), as INSERTs to run in the caller's transaction: the cards with their
    numbers and search text, their phones, their history. Their ids are reserved now."""
    phones: list[ReaderPhone] = []
    changes: list[CardChange] = []
    for reader, pk, flat in zip(readers, reserve_ids(Reader, len(readers)), rows):
        reader.pk = pk
        reader.card_number = _card_number(reader.branch.code, pk)
        reader.search_text = reader_search_text(reader)
        own = phone_rows(reader, flat.get("phones", []))
        phones.extend(own)
        changes.append(CardChange(reader=reader, actor=by, action=action,
                                  changes=diff({}, reader_snapshot(reader, own))))
    statements = [
        *insert_statements(Reader, readers, with_pk=True),
        *insert_statements(ReaderPhone, phones, with_pk=False),
        *insert_statements(CardChange, changes, with_pk=False),
    ]
    return PreparedWrites(readers, statements)


@transaction.atomic
def reader_update(*, reader: Reader, data: dict[str, Any], by=None) -> Reader:
    """Change a reader card; only the fields given change. Phones, when given, are replaced."""
    check_phones(data.get("phones"))
    reader = Reader.objects.select_for_update().get(pk=reader.pk)
    before = reader_snapshot(reader)
    _apply(reader, data, by)
    _check_consent(reader)
    if reader.status == ReaderStatus.CLOSED and before["status"] != ReaderStatus.CLOSED:
        reader.closed_at = timezone.now()
    elif reader.status != ReaderStatus.CLOSED:
        reader.closed_at = None
    reader.search_text = reader_search_text(reader)
    reader.full_clean(exclude=["search_text"])
    reader.save()
    if "phones" in data:
        set_phones(reader, data["phones"])
    changes = diff(before, reader_snapshot(reader))
    if changes:
        CardChange.objects.create(
            reader=reader, actor=by, action=CardChange.Action.UPDATED, changes=changes
        )
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
def family_card_create(*, data: dict[str, Any], by=None) -> FamilyCard:
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
    family.full_clean(exclude=["number", "head"])
    family.save()
    family.number = f"{family.branch.code}-F{family.pk:04d}"
    family.save(update_fields=["number"])
    _set_members(family, member_ids, by)
    CardChange.objects.create(
        family_card=family, actor=by, action=CardChange.Action.CREATED,
        changes=diff({}, family_snapshot(family)),
    )
    return family


@transaction.atomic
def family_card_update(*, family: FamilyCard, data: dict[str, Any], by=None) -> FamilyCard:
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
    return family


# Standing plans (графики обслуживания) -------------------------------------------------------

PLAN_FIELDS = (
    "rrule", "starts_on", "ends_on", "window_start", "window_end", "items_per_visit", "active",
    "note",
)


def _plan_models():
    from backend.readers.models import StandingPlan, StandingPlanPause

    return StandingPlan, StandingPlanPause


def standing_plan_snapshot(plan) -> dict[str, Any]:
    """The plan as the card history shows it, pauses included."""
    snap = {"id": plan.pk}
    snap.update({name: _plain(getattr(plan, name)) for name in PLAN_FIELDS})
    for name in ("window_start", "window_end"):
        value = getattr(plan, name)
        snap[name] = value.strftime("%H:%M") if value is not None else None
    snap["pauses"] = [
        {"id": p.pk, "starts_on": p.starts_on.isoformat(), "ends_on": p.ends_on.isoformat(),
         "reason": p.reason}
        for p in plan.pauses.order_by("starts_on", "id")
    ] if plan.pk else []
    return snap


def _record_plan_change(plan, before: dict | None, by) -> None:
    """A plan change goes into the history of the card it belongs to."""
    after = standing_plan_snapshot(plan)
    if before == after:
        return
    CardChange.objects.create(
        reader_id=plan.reader_id, family_card_id=plan.family_card_id, actor=by,
        action=CardChange.Action.UPDATED, changes={"standing_plan": [before, after]},
    )


def standing_plan_check_rrule(
    *, rrule: str, starts_on: date, ends_on: date | None = None, today: date | None = None,
) -> str:
    """The RRULE in normal form, or `plan.invalid_rrule` naming the `rrule` field.

    Refused: anything but one RRULE line, FREQ finer than DAILY, COUNT with UNTIL, parts a
    visit cannot use (BYHOUR...), and a rule that gives no date within two years of the
    later of today and `starts_on` (nor before `ends_on`).
    """
    import datetime

    from backend.readers.selectors import (
        PLAN_RULE_HORIZON_DAYS,
        RRuleError,
        rrule_dates,
        rrule_parse,
    )

    def refuse(message) -> ApplicationError:
        return ApplicationError(
            "plan.invalid_rrule",
            _("The recurrence (rrule) is not usable: %(why)s") % {"why": message},
            fields={"rrule": [message]},
        )

    try:
        text, rule = rrule_parse(rrule, starts_on)
    except RRuleError as exc:
        raise refuse(str(exc)) from exc
    today = today or timezone.localdate()
    first = max(today, starts_on)
    last = first + datetime.timedelta(days=PLAN_RULE_HORIZON_DAYS)
    if ends_on is not None:
        last = min(last, ends_on)
    if not rrule_dates(rule, first, last):
        raise refuse(_("it gives no visit date within two years (between %(start)s and "
                       "%(end)s).") % {"start": first.isoformat(), "end": last.isoformat()})
    return text


def _withdraw_plan_orders(plan, by) -> int:
    """Cancel the plan's future orders that nobody has started on (still new) and whose date
    the plan no longer gives: a pause was added, the rule changed, the plan was stopped.

    Orders a librarian has begun to pick are left for the librarian to decide. A withdrawn
    order is let go of its plan, so that the date is free again if the plan gets it back (a
    pause removed); an order a person cancelled stays on the plan and the job respects it.
    """
    from backend.orders.models import Order, OrderStatus
    from backend.orders.services import order_cancel
    from backend.readers.selectors import standing_plan_occurrences

    today = timezone.localdate()
    orders = list(Order.objects.filter(standing_plan=plan, status=OrderStatus.NEW,
                                       preferred_date__gte=today))
    if not orders:
        return 0
    last = max(o.preferred_date for o in orders)
    still = set(standing_plan_occurrences(plan, today, last)) if plan.active else set()
    cancelled = 0
    for order in orders:
        if order.preferred_date not in still:
            order_cancel(order=order, by=by, note=_("The standing plan no longer has this date."))
            # Frees (plan, date) under the order_one_per_plan_date constraint; the channel and
            # the event note still tell where the order came from.
            Order.objects.filter(pk=order.pk).update(standing_plan=None)
            cancelled += 1
    return cancelled


def _plan_owner(data: dict[str, Any]) -> tuple[Reader | None, FamilyCard | None]:
    reader, family = data.get("reader"), data.get("family_card")
    if (reader is None) == (family is None):
        message = _("Give exactly one of a reader card or a family card.")
        raise ApplicationError("plan.reader_or_family", message,
                               fields={"reader": [message], "family_card": [message]})
    if reader is not None and not isinstance(reader, Reader):
        reader = Reader.objects.filter(pk=reader).first()
        if reader is None:
            raise ApplicationError("plan.reader_not_found", _("No such reader card."),
                                   fields={"reader": [_("No such reader card.")]})
    if family is not None and not isinstance(family, FamilyCard):
        family = FamilyCard.objects.filter(pk=family).first()
        if family is None:
            raise ApplicationError("plan.family_not_found", _("No such family card."),
                                   fields={"family_card": [_("No such family card.")]})
    return reader, family


def _check_plan_owner_active(plan) -> None:
    from backend.core.exceptions import ConflictError

    if plan.reader_id is not None:
        reader = plan.reader
        if reader.status != ReaderStatus.ACTIVE:
            raise ConflictError(
                "reader.not_active",
                _("%(name)s's card is %(status)s; standing plans are for active cards only.")
                % {"name": reader.full_name, "status": reader.get_status_display()},
                fields={"reader": [_("The card is not active.")]},
            )
        return
    family = plan.family_card
    if family.status != FamilyStatus.OPEN:
        raise ConflictError(
            "family.closed", _("Family card %(number)s is closed.") % {"number": family.number},
            fields={"family_card": [_("The family card is closed.")]},
        )
    if family.head_id is None:
        raise ApplicationError(
            "plan.family_without_head",
            _("Family card %(number)s has no head of household to take the orders.")
            % {"number": family.number},
            fields={"family_card": [_("Name the head of household first.")]},
        )
    if family.head.status != ReaderStatus.ACTIVE:
        raise ConflictError(
            "reader.not_active",
            _("%(name)s's card is %(status)s; standing plans are for active cards only.")
            % {"name": family.head.full_name, "status": family.head.get_status_display()},
            fields={"family_card": [_("The head of household's card is not active.")]},
        )


def _check_plan_fields(plan, *, check_rule: bool) -> None:
    if plan.window_start and plan.window_end and plan.window_start >= plan.window_end:
        raise ApplicationError("plan.bad_window", _("The window must end after it starts."),
                               fields={"window_end": [_("Must be later than the start.")]})
    if plan.ends_on is not None and plan.ends_on < plan.starts_on:
        raise ApplicationError("plan.bad_dates", _("The plan cannot end before it starts."),
                               fields={"ends_on": [_("Must be on or after the start date.")]})
    if check_rule:
        plan.rrule = standing_plan_check_rrule(rrule=plan.rrule, starts_on=plan.starts_on,
                                               ends_on=plan.ends_on)


@transaction.atomic
def standing_plan_create(*, data: dict[str, Any], by=None):
    """A standing plan for one reader card or one family card (exactly one), whose card is
    active (a family card: open, with an active head of household). The RRULE is checked
    and stored in normal form. The card's history records the new plan."""
    StandingPlan, _pause = _plan_models()
    reader, family = _plan_owner(data)
    plan = StandingPlan(reader=reader, family_card=family)
    for name in PLAN_FIELDS:
        if name in data and data[name] is not None:
            setattr(plan, name, data[name])
        elif name in data and name in ("ends_on",):
            setattr(plan, name, None)
    if plan.starts_on is None:
        plan.starts_on = timezone.localdate()
    if plan.note is None:
        plan.note = ""
    _check_plan_owner_active(plan)
    _check_plan_fields(plan, check_rule=True)
    plan.full_clean()
    plan.save()
    _record_plan_change(plan, None, by)
    return plan


@transaction.atomic
def standing_plan_update(*, plan, data: dict[str, Any], by=None):
    """Change a plan; only the fields given change (the card it belongs to cannot).

    Turning a plan back on needs an active card. Orders already made for dates the plan no
    longer gives, and not yet started on, are cancelled."""
    StandingPlan, _pause = _plan_models()
    plan = StandingPlan.objects.select_for_update(of=("self",)).select_related(
        "reader", "family_card", "family_card__head"
    ).get(pk=plan.pk)
    if "reader" in data or "family_card" in data:
        changed = [n for n in ("reader", "family_card") if n in data
                   and getattr(data[n], "pk", data[n]) != getattr(plan, f"{n}_id")]
        if changed:
            message = _("A plan stays with its card; make a new plan for another card.")
            raise ApplicationError("plan.owner_fixed", message,
                                   fields={name: [message] for name in changed})
    before = standing_plan_snapshot(plan)
    was_active = plan.active
    for name in PLAN_FIELDS:
        if name in data:
            value = data[name]
            if value is None and name == "note":
                value = ""
            setattr(plan, name, value)
    if plan.active and not was_active:
        _check_plan_owner_active(plan)
    rule_changed = any(before[n] != _plain(getattr(plan, n))
                       for n in ("rrule", "starts_on", "ends_on"))
    _check_plan_fields(plan, check_rule=rule_changed)
    plan.full_clean()
    plan.save()
    _withdraw_plan_orders(plan, by)
    _record_plan_change(plan, before, by)
    return plan


@transaction.atomic
def standing_plan_pause_add(*, plan, starts_on: date, ends_on: date, reason: str = "", by=None):
    """A break in the plan (hospital, a summer away), both days included. Pauses of one plan
    do not overlap (`plan.pause_overlap`). New orders already made inside it are cancelled."""
    from backend.core.exceptions import ConflictError

    StandingPlan, StandingPlanPause = _plan_models()
    plan = StandingPlan.objects.select_for_update().get(pk=plan.pk)
    if starts_on is None or ends_on is None or starts_on > ends_on:
        raise ApplicationError(
            "plan.pause_dates", _("A pause must end on or after the day it starts."),
            fields={"ends_on": [_("Must be on or after the start date.")]},
        )
    clash = plan.pauses.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).first()
    if clash is not None:
        raise ConflictError(
            "plan.pause_overlap",
            _("This pause overlaps the pause from %(start)s to %(end)s.")
            % {"start": clash.starts_on.isoformat(), "end": clash.ends_on.isoformat()},
            fields={"starts_on": [_("Overlaps another pause.")],
                    "ends_on": [_("Overlaps another pause.")]},
        )
    before = standing_plan_snapshot(plan)
    pause = StandingPlanPause(plan=plan, starts_on=starts_on, ends_on=ends_on,
                              reason=reason or "")
    pause.full_clean()
    pause.save()
    _withdraw_plan_orders(plan, by)
    _record_plan_change(plan, before, by)
    return pause


@transaction.atomic
def standing_plan_pause_remove(*, pause, by=None) -> None:
    """End a break early or drop it. The next run of the daily job makes the orders again for
    dates that have no order yet."""
    StandingPlan, StandingPlanPause = _plan_models()
    pause = StandingPlanPause.objects.select_related("plan").get(pk=pause.pk)
    plan = StandingPlan.objects.select_for_update().get(pk=pause.plan_id)
    before = standing_plan_snapshot(plan)
    pause.delete()
    _record_plan_change(plan, before, by)


# Who opened which card --------------------------------------------------------------------------


def _card_ids(cards: Iterable) -> list[int]:
    """Ids of cards given as model objects or ids, in order, once each."""
    ids = (getattr(card, "pk", card) for card in cards)
    return list(dict.fromkeys(int(pk) for pk in ids if pk is not None))


@transaction.atomic
def card_access_record(
    *,
    request,
    action: str,
    channel: str,
    readers: Iterable[Reader | int] = (),
    family_cards: Iterable[FamilyCard | int] = (),
    count: int | None = None,
) -> CardAccess | None:
    """Write down that `request.user` was shown these reader and family cards (objects or
    ids): ONE row for the request naming them all, so a page of 200 cards is one INSERT and
    one bulk INSERT of links. `count` is the number of cards shown (an export's total);
    by default, the cards named. Nothing is written when no card was shown."""
    reader_ids, family_ids = _card_ids(readers), _card_ids(family_cards)
    if not reader_ids and not family_ids and not count:
        return None
    user = getattr(request, "user", None)
    user = user if user is not None and user.is_authenticated else None
    access = CardAccess.objects.create(
        user=user, action=action, channel=channel, ip=client_address(request) or None,
        path=(getattr(request, "path", "") or "")[:200],
        count=count if count is not None else len(reader_ids) + len(family_ids))
    if reader_ids:
        through = CardAccess.readers.through
        through.objects.bulk_create([through(cardaccess_id=access.pk, reader_id=pk)
                                     for pk in reader_ids], batch_size=1000)
    if family_ids:
        through = CardAccess.family_cards.through
        through.objects.bulk_create([through(cardaccess_id=access.pk, familycard_id=pk)
                                     for pk in family_ids], batch_size=1000)
    return access
