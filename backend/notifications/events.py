"""What each event tells whom.

The order and routing services call these inside their transaction, so the message row
is written with the event and sent after commit. A message that cannot be written (no
template, a bad phone) never stops the event: it is logged, and the event goes on.

Who hears it: the reader by SMS; by a call when the card says so, or when the reader takes
audio or Braille books, or has no phone that takes SMS; the caregiver instead when the card
says so. Volunteers get their route by SMS, the first time with a one-tap sign-in link to the app.
Each message says its event once
(`event_key`), so running a job twice or publishing twice sends nothing new.
"""
import datetime
import functools
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from backend.notifications.models import Channel, Message, MessageStatus, TemplateCode
from backend.notifications.services import message_enqueue
from backend.notifications.texts import TemplateMissing, branch_zone, render

logger = logging.getLogger("kniga03.messages")

VOICE_FORMATS = frozenset({"audio", "braille"})
TOLD = (TemplateCode.ORDER_CONFIRMED, TemplateCode.VISIT_MOVED, TemplateCode.VISIT_CANCELLED)
ROUTE_TEMPLATES = (TemplateCode.ROUTE_PUBLISHED, TemplateCode.ROUTE_CHANGED)
RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
             "сентября", "октября", "ноября", "декабря")
RU_WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота",
               "воскресенье")
KK_MONTHS = ("қаңтар", "ақпан", "наурыз", "сәуір", "мамыр", "маусым", "шілде", "тамыз",
             "қыркүйек", "қазан", "қараша", "желтоқсан")
KK_WEEKDAYS = ("дүйсенбі", "сейсенбі", "сәрсенбі", "бейсенбі", "жұма", "сенбі", "жексенбі")


def _safe(function):
    """Run the hook in a savepoint; its failure is logged and the caller's event goes on.

    Unless the database itself failed (the connection is gone or the transaction cannot be
    rolled back to the savepoint): then the event cannot be saved either, and carrying on
    would tell the caller it was (Django rolls the transaction back on leaving it)."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            with transaction.atomic():
                return function(*args, **kwargs)
        except (OperationalError, InterfaceError):
            raise
        except Exception:  # noqa: BLE001 - a message must never undo the event it reports
            if transaction.get_connection().needs_rollback:
                raise
            logger.exception("Message for %s not written", function.__name__)
            return None

    return run


# Dates and names as people say them -------------------------------------------------------------


def say_date(day: datetime.date, language: str) -> str:
    """`среда, 12 марта` / `12 наурыз, сәрсенбі`."""
    if language == "kk":
        return f"{day.day} {KK_MONTHS[day.month - 1]}, {KK_WEEKDAYS[day.weekday()]}"
    return f"{RU_WEEKDAYS[day.weekday()]}, {day.day} {RU_MONTHS[day.month - 1]}"


def _hhmm(value) -> str:
    if isinstance(value, str):
        return value[:5]
    return value.strftime("%H:%M")


def say_window(order) -> str:
    start, end = order.window_start, order.window_end
    if not start or not end:
        start, end = getattr(settings, "ROUTING_DEFAULT_WINDOW", ("09:00", "18:00"))
    return f"{_hhmm(start)}–{_hhmm(end)}"


def _short_name(reader) -> str:
    return " ".join(p for p in (reader.first_name, reader.patronymic) if p)


def _local_today(branch) -> datetime.date:
    return timezone.now().astimezone(branch_zone(branch)).date()


def _at(day: datetime.date, time, branch) -> datetime.datetime:
    if isinstance(time, str):
        time = datetime.time.fromisoformat(time)
    return datetime.datetime.combine(day, time, tzinfo=branch_zone(branch))


# Recipients ---------------------------------------------------------------------------------------


@dataclass
class Recipient:
    to: str
    channel: str
    language: str
    via_caregiver: bool = False


def reader_recipient(reader) -> Recipient | None:
    """Where the reader's messages go, or None (refused messages, no phone)."""
    if reader is None or reader.messages_opt_out_at:
        return None
    language = reader.language if reader.language in ("ru", "kk") else "ru"
    phones = sorted(reader.phones.all(), key=lambda p: (p.position, p.id))
    choice = reader.contact_channel
    if choice == "caregiver":
        number = reader.caregiver_phone or next(
            (p.number for p in phones if p.kind == "caregiver"), None)
        if number:
            return Recipient(str(number), Channel.SMS, language, via_caregiver=True)
    own = [p for p in phones if p.kind != "caregiver"]
    formats = set((reader.preferences or {}).get("formats") or [])
    wants_voice = choice == "voice" or (not choice and bool(formats & VOICE_FORMATS))
    if not wants_voice:
        mobile = next((p for p in own if p.kind == "mobile" and p.sms_ok), None)
        if mobile is not None:
            return Recipient(str(mobile.number), Channel.SMS, language)
    if own:  # a call: the reader asked for it, cannot read, or has no phone for SMS
        return Recipient(str(own[0].number), Channel.VOICE, language)
    return None


def _send_to_reader(*, reader, code: str, event_key: str, context: dict, order=None,
                    branch=None, not_before=None, expires_at=None, now=None) -> Message | None:
    recipient = reader_recipient(reader)
    if recipient is None:
        return None
    values = {"name": _short_name(reader), **context}
    for key, value in list(values.items()):
        if isinstance(value, datetime.date):
            values[key] = say_date(value, recipient.language)
    try:
        text, language = render(code, channel=recipient.channel, language=recipient.language,
                                context=values)
    except TemplateMissing:
        logger.error("No template %s: nothing sent to reader %s", code, reader.pk)
        return None
    stored = {k: v.isoformat() if isinstance(v, datetime.date) else v
              for k, v in context.items()}
    return message_enqueue(
        event_key=event_key, template=code, to=recipient.to, text=text, language=language,
        channel=recipient.channel, reader=reader, order=order,
        branch=branch or reader.branch, context=stored, via_caregiver=recipient.via_caregiver,
        not_before=not_before, expires_at=expires_at, now=now,
    )


# Orders -------------------------------------------------------------------------------------------


def _told(order) -> list[Message]:
    """What the reader was told about this order's date, oldest first."""
    return list(Message.objects.filter(order=order, template__in=TOLD).order_by("id"))


def _end_of(day: datetime.date, branch) -> datetime.datetime:
    return _at(day, datetime.time(23, 59), branch)


@_safe
def on_order_confirmed(order) -> Message | None:
    """The operator took the order with a date: the reader gets it in writing."""
    if not order.preferred_date:
        return None
    return _send_to_reader(
        reader=order.reader, code=TemplateCode.ORDER_CONFIRMED,
        event_key=f"order:{order.pk}:told:0", order=order, branch=order.branch,
        context={"date": order.preferred_date, "window": say_window(order)},
        expires_at=_end_of(order.preferred_date, order.branch),
    )


@_safe
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
    code = TemplateCode.ORDER_CONFIRMED if last is None else TemplateCode.VISIT_MOVED
    return _send_to_reader(
        reader=order.reader, code=code, event_key=f"order:{order.pk}:told:{len(told)}",
        order=order, branch=order.branch,
        context={"date": day, "window": say_window(order)},
        expires_at=_end_of(day, order.branch),
    )


def _visit_off(order) -> Message | None:
    told = _told(order)
    last = told[-1] if told else None
    if last is None or last.template == TemplateCode.VISIT_CANCELLED:
        return None
    day = datetime.date.fromisoformat(last.context.get("date"))
    if day < _local_today(order.branch):
        return None
    # What was still waiting to tell the old date is pointless now.
    Message.objects.filter(order=order, status=MessageStatus.QUEUED).update(
        status=MessageStatus.CANCELLED, error_code="superseded",
        error_message="The visit was moved or cancelled.")
    return _send_to_reader(
        reader=order.reader, code=TemplateCode.VISIT_CANCELLED,
        event_key=f"order:{order.pk}:told:{len(told)}", order=order, branch=order.branch,
        context={"date": day}, expires_at=_end_of(day, order.branch),
    )


@_safe
def on_order_unscheduled(order) -> Message | None:
    """Taken off the day's routes: the visit the reader expects will not happen that day."""
    return _visit_off(order)


@_safe
def on_order_cancelled(order) -> Message | None:
    return _visit_off(order)


def visit_reminders_send(*, now: datetime.datetime | None = None, branch=None) -> int:
    """The evening job: every reader visited tomorrow (in their branch's time) hears about
    it, and about the items to give back then. Outside the messaging hours the reminder
    waits for the morning. Running it twice sends nothing new. Answers messages written."""
    from backend.branches.models import Branch
    from backend.orders.models import Order, OrderStatus

    now = now or timezone.now()
    written = 0
    branches = [branch] if branch is not None else list(Branch.objects.all())
    for one in branches:
        tomorrow = now.astimezone(branch_zone(one)).date() + datetime.timedelta(days=1)
        orders = (Order.objects.filter(branch=one, status=OrderStatus.SCHEDULED,
                                       scheduled_date=tomorrow)
                  .select_related("reader", "reader__branch", "family_card", "branch")
                  .prefetch_related("reader__phones"))
        for order in orders:
            written += bool(_remind(order, tomorrow, now))
            written += bool(_due_back(order, tomorrow, now))
    return written


@_safe
def _remind(order, day: datetime.date, now: datetime.datetime) -> Message | None:
    start = order.window_start or getattr(settings, "ROUTING_DEFAULT_WINDOW", ("09:00",))[0]
    return _send_to_reader(
        reader=order.reader, code=TemplateCode.VISIT_TOMORROW,
        event_key=f"order:{order.pk}:tomorrow:{day.isoformat()}", order=order,
        branch=order.branch, context={"date": day, "window": say_window(order)},
        expires_at=_at(day, start, order.branch), now=now,
    )


@_safe
def _due_back(order, day: datetime.date, now: datetime.datetime) -> Message | None:
    from backend.circulation.models import Loan, LoanStatus

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
    start = order.window_start or getattr(settings, "ROUTING_DEFAULT_WINDOW", ("09:00",))[0]
    return _send_to_reader(
        reader=order.reader, code=TemplateCode.ITEMS_DUE,
        event_key=f"order:{order.pk}:due:{day.isoformat()}", order=order, branch=order.branch,
        context={"date": day, "titles": shown, "count": len(titles)},
        expires_at=_at(day, start, order.branch), now=now,
    )


# At the door --------------------------------------------------------------------------------------


def on_the_way_enabled(branch) -> bool:
    from backend.notifications.models import BranchMessaging

    own = BranchMessaging.objects.filter(branch=branch).values_list("on_the_way", flat=True)
    choice = next(iter(own), None)
    return bool(getattr(settings, "MESSAGE_ON_THE_WAY", False) if choice is None else choice)


@_safe
def on_stop_arrived(stop) -> Message | None:
    """The volunteer is at a door: the next reader on the route hears they are on the
    way (if the branch wants it). Useless two hours later, so it is dropped then."""
    from backend.routing.models import Stop, StopStatus

    if stop.route_id is None or not on_the_way_enabled(stop.plan.branch):
        return None
    following = (Stop.objects.filter(route_id=stop.route_id, sequence__gt=stop.sequence,
                                     status=StopStatus.PLANNED)
                 .select_related("reader", "reader__branch", "route__volunteer__user")
                 .order_by("sequence", "id").first())
    if following is None:
        return None
    volunteer = following.route.volunteer.user
    zone = branch_zone(stop.plan.branch)
    expected = following.expected_arrival
    now = timezone.now()
    return _send_to_reader(
        reader=following.reader, code=TemplateCode.ON_THE_WAY,
        event_key=f"stop:{following.pk}:on_the_way", branch=stop.plan.branch,
        order=following.orders.order_by("id").first(),
        context={"volunteer": volunteer.first_name or str(volunteer),
                 "time": expected.astimezone(zone).strftime("%H:%M") if expected else ""},
        expires_at=now + datetime.timedelta(hours=2), now=now,
    )


# Volunteers' routes -------------------------------------------------------------------------------


def route_context(route, language: str) -> dict:
    from backend.routing.models import StopStatus

    user = route.volunteer.user
    zone = branch_zone(route.plan.branch)
    return {
        "route": route.pk,
        "volunteer": user.first_name or str(user),
        "date": say_date(route.plan.date, language),
        "stops": route.stops.exclude(status=StopStatus.CANCELLED).count(),
        "start": route.departure.astimezone(zone).strftime("%H:%M") if route.departure else "",
    }


def fresh_context(message: Message) -> dict | None:
    """The variables of a route message as the route is now (None: leave the text)."""
    from backend.routing.models import Route

    if message.template not in ROUTE_TEMPLATES or not message.context.get("route"):
        return None
    route = (Route.objects.filter(pk=message.context["route"])
             .select_related("plan__branch", "volunteer__user").first())
    if route is None:
        return None
    context = route_context(route, message.language)
    if message.context.get("link"):
        context["link"] = message.context["link"]  # only its hash is kept elsewhere
    return context


@_safe
def on_route_changed(route, change) -> Message | None:
    """A published route was published or changed (`change`: a RouteChange or its kind).
    A burst of changes makes one SMS: it waits a minute, and while it waits it is rewritten
    instead of another being added; its text is made from the route as it is when it
    leaves."""
    from backend.routing.models import Route, RouteChange

    kind = getattr(change, "kind", change)
    route = Route.objects.select_related("plan__branch", "volunteer__user").get(pk=route.pk)
    plan = route.plan
    if plan.date < _local_today(plan.branch):
        return None
    user = route.volunteer.user
    if not user.phone:
        return None
    language = user.language if user.language in ("ru", "kk") else "ru"
    context = route_context(route, language)
    if kind == RouteChange.Kind.ROUTE_CANCELLED:
        context["stops"] = 0
        context["route"] = None
    waiting = Message.objects.filter(event_key__startswith=f"route:{route.pk}:",
                                     status=MessageStatus.QUEUED).order_by("-id").first()
    if waiting is not None and kind != RouteChange.Kind.ROUTE_CANCELLED:
        return waiting  # it is rewritten from the route when it leaves
    code = (TemplateCode.ROUTE_PUBLISHED if kind == RouteChange.Kind.PUBLISHED
            else TemplateCode.ROUTE_CHANGED)
    if waiting is not None:
        Message.objects.filter(pk=waiting.pk, status=MessageStatus.QUEUED).update(
            status=MessageStatus.CANCELLED, error_code="superseded",
            error_message="The route was cancelled.")
    if code == TemplateCode.ROUTE_PUBLISHED:
        # One tap from the SMS into the app, signed in (backend/accounts/links.py).
        from backend.accounts.links import sign_in_link_issue

        context["link"] = sign_in_link_issue(user=user)
    try:
        text, language = render(code, channel=Channel.SMS, language=language, context=context)
    except TemplateMissing:
        logger.error("No template %s: nothing sent to volunteer %s", code, user.pk)
        return None
    change_id = getattr(change, "pk", None) or Message.objects.filter(
        event_key__startswith=f"route:{route.pk}:").count()
    now = timezone.now()
    return message_enqueue(
        event_key=f"route:{route.pk}:{kind}:{change_id}", template=code, to=str(user.phone),
        text=text, language=language, user=user, branch=plan.branch, context=context,
        not_before=now + datetime.timedelta(
            seconds=getattr(settings, "MESSAGE_ROUTE_DELAY_SECONDS", 60)),
        expires_at=_end_of(plan.date, plan.branch), now=now,
    )


def on_route_published(route) -> Message | None:
    from backend.routing.models import RouteChange

    return on_route_changed(route, RouteChange.Kind.PUBLISHED)


# Concerns about a reader -------------------------------------------------------------------------


def _address(reader) -> str:
    parts = [reader.settlement, reader.street, reader.house]
    text = ", ".join(p for p in parts if p)
    return f"{text}, {reader.apartment}" if text and reader.apartment else text


@_safe
def on_concern_raised(concern) -> list[Message]:
    """A volunteer is worried about a reader: the branch's duty phone hears at once (day or
    night, the note stays on the card), and the reader's caregiver when the card says
    messages go to them. Each once (`event_key`)."""
    from django.utils import translation

    from backend.routing.models import ConcernKind

    reader, stop = concern.reader, concern.stop
    branch = stop.plan.branch if stop is not None else reader.branch
    volunteer = concern.raised_by.user if concern.raised_by_id else None
    sent: list[Message] = []
    language = "kk" if settings.LANGUAGE_CODE == "kk" else "ru"
    if branch.duty_phone:
        with translation.override(language):
            kind = str(ConcernKind(concern.kind).label)
        context = {"reader": reader.full_name, "address": _address(reader), "kind": kind,
                   "card": reader.card_number,
                   "volunteer": volunteer.get_full_name() or str(volunteer) if volunteer else "",
                   "phone": str(volunteer.phone or "") if volunteer else ""}
        try:
            text, language = render(TemplateCode.CONCERN_RAISED, channel=Channel.SMS,
                                    language=language, context=context)
        except TemplateMissing:
            logger.error("No template concern_raised: concern %s not sent", concern.pk)
        else:
            message = message_enqueue(
                event_key=f"concern:{concern.pk}:duty", template=TemplateCode.CONCERN_RAISED,
                to=branch.duty_phone, text=text, language=language, branch=branch,
                context={"concern": concern.pk}, quiet_hours=False)
            if message is not None:
                sent.append(message)
    recipient = reader_recipient(reader)
    if recipient is not None and recipient.via_caregiver:
        with translation.override(recipient.language):
            kind = str(ConcernKind(concern.kind).label).lower()
        message = _send_to_reader(
            reader=reader, code=TemplateCode.CONCERN_CAREGIVER,
            event_key=f"concern:{concern.pk}:caregiver", branch=branch,
            context={"kind": kind, "branch_phone": branch.phone or branch.duty_phone})
        if message is not None:
            sent.append(message)
    return sent
