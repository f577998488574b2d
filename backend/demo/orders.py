"""Demo standing plans: about a third of the active households get a visit schedule.

`load_demo_standing_plans()` needs the demo readers and family cards to exist. A reader on
an open family card is served through the family card's plan (one visit for the household),
so households, not readers, are counted. It writes through the readers' services, so every
plan is in its card's history, and it is idempotent: a household that has a plan already is
left as it is.
"""
from __future__ import annotations

import datetime
from typing import Any

from backend.demo.base import demo_step

PATTERNS = (
    # (rule, window, items per visit, note)
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", ("10:00", "12:00"), 2, "Каждый второй вторник"),
    ("FREQ=WEEKLY;BYDAY=TH", ("14:00", "16:00"), 3, "Каждый четверг"),
    ("FREQ=MONTHLY;BYDAY=1MO", ("11:00", "13:00"), 4, "Первый понедельник месяца"),
)
PAUSES = {
    # position among the plans made -> (first day from today, last day from today, reason)
    1: (10, 24, "В больнице"),
    4: (20, 50, "Уехала к дочери на лето"),
}


def _writer(stdout: Any):
    if stdout is None:
        return lambda line: None
    if callable(stdout):
        return stdout
    return lambda line: stdout.write(line if line.endswith("\n") else line + "\n")


def _households() -> list[tuple[str, Any]]:
    """("reader", Reader) or ("family", FamilyCard) for each active household, in id order."""
    from backend.readers.models import FamilyStatus, Reader, ReaderStatus

    units: list[tuple[str, Any]] = []
    seen_families: set[int] = set()
    readers = (Reader.objects.filter(status=ReaderStatus.ACTIVE)
               .select_related("family_card", "family_card__head").order_by("id"))
    for reader in readers:
        family = reader.family_card
        if family is not None and family.status == FamilyStatus.OPEN:
            if family.pk in seen_families:
                continue
            seen_families.add(family.pk)
            head = family.head
            if head is not None and head.status == ReaderStatus.ACTIVE:
                units.append(("family", family))
            continue
        units.append(("reader", reader))
    return units


def load_demo_standing_plans(stdout: Any = None, *, today: datetime.date | None = None) -> int:
    """Give every third active household a standing plan (every second Tuesday 10–12,
    every Thursday 14–16, the first Monday of the month 11–13, in turn), two of them with a
    pause. Households that already have a plan are kept as they are. Returns the number of
    plans made."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from backend.plans.models import StandingPlan
    from backend.plans.services import standing_plan_create, standing_plan_pause_add

    out = _writer(stdout)
    today = today or timezone.localdate()
    by = get_user_model().objects.filter(username="librarian").first()
    made = kept = 0
    with transaction.atomic():
        for index, (kind, card) in enumerate(_households()[::3]):
            owner = {"reader": card} if kind == "reader" else {"family_card": card}
            if StandingPlan.objects.filter(**owner).exists():
                kept += 1
                continue
            rule, (start, end), items, note = PATTERNS[index % len(PATTERNS)]
            plan = standing_plan_create(
                data={
                    **owner, "rrule": rule, "starts_on": today,
                    "window_start": datetime.time.fromisoformat(start),
                    "window_end": datetime.time.fromisoformat(end),
                    "items_per_visit": items, "note": note,
                },
                by=by,
            )
            if made in PAUSES:
                first, last, reason = PAUSES[made]
                standing_plan_pause_add(
                    plan=plan, starts_on=today + datetime.timedelta(days=first),
                    ends_on=today + datetime.timedelta(days=last), reason=reason, by=by,
                )
            made += 1
    out(f"  standing plans: {made} created, {kept} already there")
    return made


@demo_step("standing_plans", order=800)
def standing_plans_step(ctx) -> None:
    load_demo_standing_plans(ctx.out, today=ctx.today)


@demo_step("orders", order=900)
def upcoming_orders_step(ctx) -> None:
    """Orders from the standing plans for the coming week, as the nightly job makes them."""
    from backend.plans.orders import standing_orders_generate

    result = standing_orders_generate(days=7, today=ctx.today, by=ctx.actor)
    ctx.out(f"  standing-plan orders: {len(result.created)} created, "
            f"{len(result.existed)} already there")
