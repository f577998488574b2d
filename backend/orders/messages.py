"""What an order's events tell the reader.

The order services call these inside their transaction, so the message row is written with
the event and sent after commit. A message that cannot be written (no template, a bad
phone) never stops the event: it is logged, and the event goes on (`message_hook`). Each
message says its event once (`event_key`), so running a job twice sends nothing new.
"""
import datetime

from django.conf import settings
from django.utils import timezone, translation

from backend.branches.models import Branch
from backend.circulation.models import Loan, LoanStatus
from backend.notifications.models import Channel, Message, MessageStatus, TemplateCode
from backend.notifications.services import message_hook
from backend.notifications.texts import VOICE_LANGUAGES, branch_zone, local_at, local_today
from backend.orders.models import Order, OrderStatus
from backend.orders.readback import (
    order_date_promised,
    order_waiting_titles,
    visit_window,
    waiting_sentence,
)
from backend.readers.messages import reader_message_send, reader_recipient

TOLD = (TemplateCode.ORDER_CONFIRMED, TemplateCode.VISIT_MOVED, TemplateCode.VISIT_CANCELLED,
        TemplateCode.VISIT_MOVED_HOLIDAY)

# What the first word about an order's date must also say, from the apps above orders (a
# standing plan's visit moved off a public holiday): each takes the order and the day and
# answers None or (template code, extra variables). Registered in their AppConfig.ready().
_FIRST_WORD: list = []


def first_word_add(provider) -> None:
    if provider not in _FIRST_WORD:
        _FIRST_WORD.append(provider)


def _first_word(order, day: datetime.date) -> tuple[str, dict]:
    for provider in _FIRST_WORD:
        found = provider(order, day)
        if found is not None:
            return found
    return TemplateCode.ORDER_CONFIRMED, {}


def _hhmm(value) -> str:
    if isinstance(value, str):
        return value[:5]
    return value.strftime("%H:%M")


def say_window(order) -> str:
    """The window the volunteer really comes in: the agreed (or default) window within the
    household's home hours on the visit's day, as the desk's read-back said it."""
    day = order.scheduled_date or order.preferred_date
    if day is None:
        start, end = order.window_start, order.window_end
        if not start or not end:
            start, end = getattr(settings, "ROUTING_DEFAULT_WINDOW", ("09:00", "18:00"))
        return f"{_hhmm(start)}–{_hhmm(end)}"
    return str(visit_window(order.reader, day, order.window_start, order.window_end))


def _window_start(order, day: datetime.date) -> datetime.time:
    return visit_window(order.reader, day, order.window_start, order.window_end).start


def _waiting_words(order) -> str:
    """The titles that wait for a copy, said in the language the message is written in."""
    titles = order_waiting_titles(order)
    recipient = reader_recipient(order.reader) if titles else None
    if recipient is None:
        return ""
    language = recipient.language
    if recipient.channel == Channel.VOICE and language not in VOICE_LANGUAGES:
        language = "ru"
    with translation.override(language):
        return waiting_sentence(titles)


def _told(order) -> list[Message]:
    """What the reader was told about this order's date, oldest first."""
    return list(Message.objects.filter(order=order, template__in=TOLD).order_by("id"))


def _end_of(day: datetime.date, branch) -> datetime.datetime:
    return local_at(day, datetime.time(23, 59), branch)


@message_hook
def on_order_confirmed(order) -> Message | None:
    """The operator took the order with a date: the reader gets it in writing, with the
    titles that wait for a copy ("when a copy is free"). An order whose every line waits
    for a copy promises no date: the reader hears the day once it is on a route."""
    if not order_date_promised(order):
        return None
    code, extra = _first_word(order, order.preferred_date)
    return reader_message_send(
        reader=order.reader, code=code,
        event_key=f"order:{order.pk}:told:0", order=order, branch=order.branch,
        context={"date": order.preferred_date, "window": say_window(order),
                 "waiting": _waiting_words(order), **extra},
        expires_at=_end_of(order.preferred_date, order.branch),
    )


@message_hook
def on_order_scheduled(order) -> Message | None:
    """The order is on a published route. A reader told that date already hears nothing
    more; told another date (or that the visit was off), they hear the new one."""
    day = order.scheduled_date
    if day is None:
        return None
    told = _told(order)
    last = told[-1] if told else None
    if last is not None and last.template != TemplateCode.VISIT_CANCELLED and \
            last.context.get("date") == day.isoformat():
        return None
    code, extra = _first_word(order, day) if last is None else (TemplateCode.VISIT_MOVED, {})
    return reader_message_send(
        reader=order.reader, code=code, event_key=f"order:{order.pk}:told:{len(told)}",
        order=order, branch=order.branch,
        context={"date": day, "window": say_window(order), **extra},
        expires_at=_end_of(day, order.branch),
    )


def _visit_off(order) -> Message | None:
    told = _told(order)
    last = told[-1] if told else None
    if last is None or last.template == TemplateCode.VISIT_CANCELLED:
        return None
    day = datetime.date.fromisoformat(last.context.get("date"))
    if day < local_today(order.branch):
        return None
    # What was still waiting to tell the old date is pointless now.
    Message.objects.filter(order=order, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, error_code="superseded",
        error_message="The visit was moved or cancelled.")
    return reader_message_send(
        reader=order.reader, code=TemplateCode.VISIT_CANCELLED,
        event_key=f"order:{order.pk}:told:{len(told)}", order=order, branch=order.branch,
        context={"date": day}, expires_at=_end_of(day, order.branch),
    )


@message_hook
def on_order_unscheduled(order) -> Message | None:
    """Taken off the day's routes: the visit the reader expects will not happen that day."""
    return _visit_off(order)


@message_hook
def on_order_cancelled(order) -> Message | None:
    return _visit_off(order)


@message_hook
def on_line_cancelled(line) -> Message | None:
    """A title of the order cannot be sent (no copy to pick): the reader is told which."""
    order = line.order
    return reader_message_send(
        reader=order.reader, code=TemplateCode.LINE_CANCELLED,
        event_key=f"order:{order.pk}:line:{line.pk}:cancelled", order=order,
        branch=order.branch, context={"title": line.title.title if line.title_id
                                      else line.wish_text},
    )


def visit_reminders_send(*, now: datetime.datetime | None = None, branch=None) -> int:
    """The evening job: every reader visited tomorrow (in their branch's time) hears about
    it, and about the items to give back then. Outside the messaging hours the reminder
    waits for the morning. Running it twice sends nothing new. Answers messages written."""
    now = now or timezone.now()
    written = 0
    branches = [branch] if branch is not None else list(Branch.objects.all())
    for one in branches:
        tomorrow = now.astimezone(branch_zone(one)).date() + datetime.timedelta(days=1)
        orders = (Order.objects.filter(branch=one, status=OrderStatus.SCHEDULED,
                                       scheduled_date=tomorrow)
                  .select_related("reader", "reader__branch", "reader__family_card", "family_card",
                                  "branch")
                  .prefetch_related("reader__phones"))
        for order in orders:
            written += bool(_remind(order, tomorrow, now))
            written += bool(_due_back(order, tomorrow, now))
    return written


@message_hook
def _remind(order, day: datetime.date, now: datetime.datetime) -> Message | None:
    start = _window_start(order, day)
    return reader_message_send(
        reader=order.reader, code=TemplateCode.VISIT_TOMORROW,
        event_key=f"order:{order.pk}:tomorrow:{day.isoformat()}", order=order,
        branch=order.branch, context={"date": day, "window": say_window(order)},
        expires_at=local_at(day, start, order.branch), now=now,
    )


@message_hook
def _due_back(order, day: datetime.date, now: datetime.datetime) -> Message | None:
    household = [order.reader_id]
    if order.family_card_id:
        household += list(order.family_card.members.values_list("id", flat=True))
    loans = list(Loan.objects.filter(reader_id__in=household, status=LoanStatus.ACTIVE,
                                     due_date__lte=day).select_related("title")
                 .order_by("due_date", "id"))
    if not loans:
        return None
    titles = [loan.title.title for loan in loans]
    shown = ", ".join(f"«{t}»" for t in titles[:4]) + (" …" if len(titles) > 4 else "")
    start = _window_start(order, day)
    return reader_message_send(
        reader=order.reader, code=TemplateCode.ITEMS_DUE,
        event_key=f"order:{order.pk}:due:{day.isoformat()}", order=order, branch=order.branch,
        context={"date": day, "titles": shown, "count": len(titles)},
        expires_at=local_at(day, start, order.branch), now=now,
    )
