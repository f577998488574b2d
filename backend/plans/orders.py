"""Standing plans turn into orders: the daily job.

`standing_orders_generate(days=N)` makes the orders for the plan dates from tomorrow through
today + N (today itself is left out: today's visits were planned yesterday). For each
active plan of an active reader card, or of an open family card (the order is then taken for
the head of household and its lines are spread over the active members), it makes one order
per date with `items_per_visit` wishes built from the readers' preferences, in the channel
`standing_plan` and in the plan's window. Pauses and Kazakhstan's public holidays give no
order (a holiday is skipped, not moved).

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

from backend.core.exceptions import ApplicationError
from backend.orders.models import Channel, Order
from backend.orders.services import order_create
from backend.plans.models import StandingPlan
from backend.plans.selectors import standing_plan_occurrences, standing_plan_queryset
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
    for plan in plans:
        visit = earlier.get(plan.pk, 0)
        reader, readers = _household(plan)
        for day in standing_plan_occurrences(plan, start, end):
            key = (plan.pk, day)
            if key in existing:
                result.existed.append(key)
                visit += 1
                continue
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
                        window_start=plan.window_start,
                        window_end=plan.window_end,
                        by=by,
                    )
            except IntegrityError:
                # Another run made this (plan, date) a moment ago.
                result.existed.append(key)
                visit += 1
                continue
            except ApplicationError as exc:
                result.skipped.append(Skipped(plan.pk, day, exc.code, force_str(exc.message)))
                logger.info("standing plan %s, %s: skipped (%s)", plan.pk, day, exc.code)
                continue
            result.created.append(key)
            result.order_ids.append(order.pk)
            visit += 1
    return result
