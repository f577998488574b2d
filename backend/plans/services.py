"""Every write to standing plans (графики обслуживания) and their pauses. Each change is
recorded in the history of the card the plan belongs to."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.core.exceptions import ApplicationError, ConflictError
from backend.core.recurrence import rrule_check
from backend.orders.models import Order, OrderStatus
from backend.orders.services import order_cancel
from backend.plans.models import StandingPlan, StandingPlanPause
from backend.plans.selectors import standing_plan_occurrences
from backend.readers.models import CardChange, FamilyCard, FamilyStatus, Reader, ReaderStatus
from backend.readers.services import _plain

if TYPE_CHECKING:
    from backend.accounts.models import User

PLAN_FIELDS = (
    "rrule", "starts_on", "ends_on", "window_start", "window_end", "items_per_visit", "active",
    "note",
)


def standing_plan_snapshot(plan: StandingPlan) -> dict[str, Any]:
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
    """The RRULE in normal form, or `plan.invalid_rrule` naming the `rrule` field (the
    rules: backend.core.recurrence.rrule_check)."""
    return rrule_check(rrule=rrule, starts_on=starts_on, ends_on=ends_on, today=today,
                       code="plan.invalid_rrule")


def _withdraw_plan_orders(plan, by) -> int:
    """Cancel the plan's future orders that nobody has started on (still new) and whose date
    the plan no longer gives: a pause was added, the rule changed, the plan was stopped.

    Orders a librarian has begun to pick are left for the librarian to decide. A withdrawn
    order is let go of its plan, so that the date is free again if the plan gets it back (a
    pause removed); an order a person cancelled stays on the plan and the job respects it.
    """
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
def standing_plan_create(*, data: dict[str, Any], by: User | None = None) -> StandingPlan:
    """A standing plan for one reader card or one family card (exactly one), whose card is
    active (a family card: open, with an active head of household). The RRULE is checked
    and stored in normal form. The card's history records the new plan."""
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
def standing_plan_update(*, plan: StandingPlan, data: dict[str, Any],
                         by: User | None = None) -> StandingPlan:
    """Change a plan; only the fields given change (the card it belongs to cannot).

    Turning a plan back on needs an active card. Orders already made for dates the plan no
    longer gives, and not yet started on, are cancelled."""
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
def standing_plan_pause_add(*, plan: StandingPlan, starts_on: date, ends_on: date,
                            reason: str = "", by: User | None = None) -> StandingPlanPause:
    """A break in the plan (hospital, a summer away), both days included. Pauses of one plan
    do not overlap (`plan.pause_overlap`). New orders already made inside it are cancelled."""
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
def standing_plan_pause_remove(*, pause: StandingPlanPause, by: User | None = None) -> None:
    """End a break early or drop it. The next run of the daily job makes the orders again for
    dates that have no order yet."""
    pause = StandingPlanPause.objects.select_related("plan").get(pk=pause.pk)
    plan = StandingPlan.objects.select_for_update().get(pk=pause.plan_id)
    before = standing_plan_snapshot(plan)
    pause.delete()
    _record_plan_change(plan, before, by)
