"""Standing plans turn into orders: the daily job.

`standing_orders_generate(days=N)` makes the orders for the plan dates from tomorrow through
today + N (today itself is left out: today's visits were planned yesterday). For each
active plan of an active reader card, or of an open family card (the order is then taken for
the head of household and its lines are spread over the active members), it makes one order
per date with `items_per_visit` wishes built from the readers' preferences, in the channel
`standing_plan` and in the plan's window. Pauses give no order. A date on one of
Kazakhstan's public holidays gives its order on the next working day the household is at
home, in the plan's window within that day's home hours (`selectors.standing_plan_calendar`),
and the reader's confirmation says the visit moved and why (`holiday_move_told`). A moved
visit that lands on a day the household already has a visit (another plan's, a phone order)
joins it: no second order (`merged`). A holiday with no such day within two weeks is
reported as skipped (`plan.holiday_no_day`).

Running it again makes nothing new: an order that exists for (plan, date), whatever its
status, counts as made, and the database's `order_one_per_plan_date` constraint stops a
second job running at the same moment (its IntegrityError is caught per order, inside a
savepoint, so one lost race does not undo the other orders). A date `order_create` refuses
(loan limits, a card paused meanwhile) is reported as skipped with the error's code.
"""
import datetime
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.translation import gettext as _

from backend.core.calendar import holiday_names, is_holiday
from backend.core.exceptions import ApplicationError
from backend.notifications.models import TemplateCode
from backend.orders.models import OPEN_STATUSES, Channel, Order
from backend.orders.services import order_create
from backend.plans.models import StandingPlan
from backend.plans.selectors import (
    MOVE_SEARCH_DAYS,
    standing_plan_calendar,
    standing_plan_queryset,
)
from backend.readers.models import FamilyStatus, Reader, ReaderStatus

logger = logging.getLogger(__name__)

ACCESSIBLE_FORMATS = ("large_print", "audio", "braille")


@dataclass(frozen=True)
class Skipped:
    plan_id: int
    date: datetime.date
    code: str
    message: str


@dataclass
class Result:
    start: datetime.date
    end: datetime.date
    created: list[tuple[int, datetime.date]] = field(default_factory=list)
    existed: list[tuple[int, datetime.date]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # Moved visits that joined a visit the household already had that day: (plan, date, order).
    merged: list[tuple[int, datetime.date, int]] = field(default_factory=list)
    order_ids: list[int] = field(default_factory=list)

    def summary(self) -> dict:
        """A JSON-friendly account (the Celery task returns it)."""
        reasons: dict[str, int] = {}
        for skip in self.skipped:
            reasons[skip.code] = reasons.get(skip.code, 0) + 1
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "created": len(self.created),
            "existed": len(self.existed),
            "skipped": len(self.skipped),
            "skipped_by_reason": reasons,
            "merged": len(self.merged),
            "order_ids": list(self.order_ids),
        }


def _plans():
    """Active plans of active reader cards and of open family cards."""
    return standing_plan_queryset().filter(active=True).filter(
        Q(reader__isnull=False, reader__status=ReaderStatus.ACTIVE)
        | Q(family_card__isnull=False, family_card__status=FamilyStatus.OPEN)
    ).order_by("id")


def _household(plan: StandingPlan) -> tuple[Reader | None, list[Reader]]:
    """(who the order is for, whose preferences make the lines)."""
    if plan.reader_id is not None:
        return plan.reader, [plan.reader]
    family = plan.family_card
    head = family.head
    members = sorted(
        (m for m in family.members.all() if m.status == ReaderStatus.ACTIVE),
        key=lambda m: (m.pk != family.head_id, m.pk),
    )
    return head, members or ([head] if head is not None else [])


def _household_visit(plan: StandingPlan, day: datetime.date) -> int | None:
    """The open order the plan's household already has on `day` (another plan's, a phone
    order), if any."""
    if plan.reader_id is not None:
        family_id = plan.reader.family_card_id
        who = Q(reader_id=plan.reader_id) | (Q(family_card_id=family_id) if family_id else Q())
    else:
        who = Q(family_card_id=plan.family_card_id) | Q(reader__family_card_id=plan.family_card_id)
    return (Order.objects.filter(who, status__in=OPEN_STATUSES)
            .filter(Q(scheduled_date=day) | Q(scheduled_date__isnull=True, preferred_date=day))
            .order_by("id").values_list("id", flat=True).first())


def _moved_before(plan: StandingPlan, moved_from: datetime.date) -> bool:
    """The visit moved off the holiday `moved_from` was already made on another day: the
    household's home hours changed since. An order of the plan in the days after the
    holiday on a day none of the plan's visits now falls on is that visit; the reader was
    told that day, so it stands and no second one is made."""
    first = moved_from + datetime.timedelta(days=1)
    last = moved_from + datetime.timedelta(days=MOVE_SEARCH_DAYS)
    claimed = [e["date"] for e in standing_plan_calendar(plan, first, last) if not e["skipped"]]
    return Order.objects.filter(standing_plan=plan, preferred_date__range=(first, last)) \
        .exclude(preferred_date__in=claimed).exists()


def holiday_move_told(order: Order, day: datetime.date) -> tuple[str, dict] | None:
    """For the order's first message: a standing plan's visit on `day` that moved off a
    public holiday is told as moved, naming the holiday in the reader's language
    (registered with `orders.messages.first_word_add`)."""
    if order.standing_plan_id is None or order.channel != Channel.STANDING_PLAN:
        return None
    if not any(is_holiday(day - datetime.timedelta(days=back))
               for back in range(1, MOVE_SEARCH_DAYS + 1)):
        return None  # no holiday just before: nothing moved here
    plan = standing_plan_queryset().filter(pk=order.standing_plan_id).first()
    if plan is None:
        return None
    entry = next((e for e in standing_plan_calendar(plan, day, day)
                  if e["date"] == day and e["moved_from"] is not None), None)
    if entry is None:
        return None
    return TemplateCode.VISIT_MOVED_HOLIDAY, {
        "moved_from": entry["moved_from"], "holiday": holiday_names(entry["moved_from"])}


def _pick(values: list, index: int) -> str:
    return values[index % len(values)] if values else ""


def wish_lines(readers: list[Reader], count: int, visit: int) -> list[dict]:
    """`count` wishes spread over `readers`, from each one's preferences: language (their
    preferred languages, else the card's language), an accessible format if they read one
    (large print, audio, braille), and a subject taken in turn, so visits vary."""
    lines = []
    for position in range(count):
        reader = readers[position % len(readers)]
        prefs = reader.preferences or {}
        turn = visit * count + position // len(readers)
        languages = [x for x in prefs.get("languages") or [] if x]
        formats = [x for x in prefs.get("formats") or [] if x in ACCESSIBLE_FORMATS]
        subjects = [x for x in prefs.get("subjects") or [] if x]
        language = _pick(languages, turn) or reader.language or ""
        fmt = _pick(formats, turn)
        subject = _pick(subjects, turn)
        text = ", ".join(p for p in (subject, language, fmt.replace("_", " ")) if p)
        lines.append({
            "reader": reader,
            "wish_text": text[:300],
            "wish_language": language,
            "wish_format": fmt,
            "wish_subject": subject[:100],
        })
    return lines


def standing_orders_generate(
    *, days: int, today: datetime.date | None = None, by=None
) -> Result:
    """Make the standing-plan orders due from tomorrow through today + `days`; see the
    module's docstring for the rules. Safe to run again and from several workers at once."""
    if days < 1:
        raise ApplicationError("plan.bad_days", _("Generate orders for at least one day."),
                               fields={"days": [_("Must be 1 or more.")]})
    today = today or timezone.localdate()
    start = today + datetime.timedelta(days=1)
    end = today + datetime.timedelta(days=days)
    result = Result(start=start, end=end)
    plans = list(_plans().prefetch_related("family_card__members"))
    plan_ids = [p.pk for p in plans]
    existing = set(
        Order.objects.filter(standing_plan_id__in=plan_ids, preferred_date__range=(start, end))
        .values_list("standing_plan_id", "preferred_date")
    )
    earlier = dict(
        Order.objects.filter(standing_plan_id__in=plan_ids, preferred_date__lt=start)
        .values("standing_plan_id").annotate(n=Count("id")).values_list("standing_plan_id", "n")
    )
    # Every plan's own dates first, then the visits moved off holidays: a moved visit finds
    # the household's other visits that day, whichever plan gives them.
    work = []
    for plan in plans:
        visit = earlier.get(plan.pk, 0)
        for entry in standing_plan_calendar(plan, start, end):
            if entry["skipped"]:
                if entry["reason"] == "holiday":
                    result.skipped.append(Skipped(plan.pk, entry["date"], "plan.holiday_no_day",
                                                  entry["note"]))
                continue
            work.append((entry["moved_from"] is not None, plan, entry, visit))
            visit += 1
    work.sort(key=lambda item: item[0])
    for moved, plan, entry, visit in work:
        day = entry["date"]
        key = (plan.pk, day)
        if key in existing:
            result.existed.append(key)
            continue
        if moved and _moved_before(plan, entry["moved_from"]):
            result.existed.append(key)
            continue
        if moved:
            joined = _household_visit(plan, day)
            if joined is not None:
                result.merged.append((plan.pk, day, joined))
                continue
        reader, readers = _household(plan)
        if reader is None:
            result.skipped.append(Skipped(
                plan.pk, day, "plan.family_without_head",
                _("The family card has no head of household."),
            ))
            continue
        try:
            with transaction.atomic():  # a savepoint: a lost race undoes this order only
                order = order_create(
                    reader=reader,
                    lines=wish_lines(readers, plan.items_per_visit, visit),
                    channel=Channel.STANDING_PLAN,
                    standing_plan=plan,
                    preferred_date=day,
                    window_start=entry["window_start"],
                    window_end=entry["window_end"],
                    by=by,
                )
        except IntegrityError:
            # Another run made this (plan, date) a moment ago.
            result.existed.append(key)
            continue
        except ApplicationError as exc:
            result.skipped.append(Skipped(plan.pk, day, exc.code, force_str(exc.message)))
            logger.info("standing plan %s, %s: skipped (%s)", plan.pk, day, exc.code)
            continue
        result.created.append(key)
        result.order_ids.append(order.pk)
    return result
