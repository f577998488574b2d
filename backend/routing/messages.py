"""What routing's events tell whom: the next reader that the volunteer is on the way, the
volunteer their route (the first time with a one-tap sign-in link to the app), the branch's
duty phone and the caregiver a volunteer's worry about a reader.

The routing services call these inside their transaction; a message that cannot be written
never stops the event (`message_hook`). A route message waiting to leave is rewritten from
the route as it is then (`fresh_context`, registered with the outbox in RoutingConfig.ready()).
"""
import datetime
import logging

from django.conf import settings
from django.utils import timezone, translation

from backend.accounts.links import sign_in_link_issue
from backend.notifications.models import (
    BranchMessaging,
    Channel,
    Message,
    MessageStatus,
    TemplateCode,
)
from backend.notifications.services import message_enqueue, message_hook
from backend.notifications.texts import (
    TemplateMissing,
    branch_zone,
    local_at,
    local_today,
    render,
    say_date,
)
from backend.readers.messages import reader_message_send, reader_recipient
from backend.routing.models import ConcernKind, Route, RouteChange, Stop, StopStatus

logger = logging.getLogger("kniga03.messages")

ROUTE_TEMPLATES = (TemplateCode.ROUTE_PUBLISHED, TemplateCode.ROUTE_CHANGED)


# At the door --------------------------------------------------------------------------------------


def on_the_way_enabled(branch) -> bool:
    try:  # read with the branch when the caller asked for it (mobile_api.selectors.own_stop)
        choice = branch.messaging.on_the_way
    except BranchMessaging.DoesNotExist:
        choice = None
    return bool(getattr(settings, "MESSAGE_ON_THE_WAY", False) if choice is None else choice)


def on_stop_arrived(stop) -> Message | None:
    """The volunteer is at a door: the next reader on the route hears they are on the
    way (if the branch wants it). Useless two hours later, so it is dropped then.

    Whether the branch wants it is a read, asked before the message's savepoint: a branch
    without the message costs no savepoint."""
    if stop.route_id is None or not on_the_way_enabled(stop.plan.branch):
        return None
    return _tell_next_reader(stop)


@message_hook
def _tell_next_reader(stop) -> Message | None:
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
    return reader_message_send(
        reader=following.reader, code=TemplateCode.ON_THE_WAY,
        event_key=f"stop:{following.pk}:on_the_way", branch=stop.plan.branch,
        order=following.orders.order_by("id").first(),
        context={"volunteer": volunteer.first_name or str(volunteer),
                 "time": expected.astimezone(zone).strftime("%H:%M") if expected else ""},
        expires_at=now + datetime.timedelta(hours=2), now=now,
    )


# Volunteers' routes -------------------------------------------------------------------------------


def route_context(route, language: str) -> dict:
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


@message_hook
def on_route_changed(route, change) -> Message | None:
    """A published route was published or changed (`change`: a RouteChange or its kind).
    A burst of changes makes one SMS: it waits a minute, and while it waits it is rewritten
    instead of another being added; its text is made from the route as it is when it
    leaves."""
    kind = getattr(change, "kind", change)
    route = Route.objects.select_related("plan__branch", "volunteer__user").get(pk=route.pk)
    plan = route.plan
    if plan.date < local_today(plan.branch):
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
        expires_at=local_at(plan.date, datetime.time(23, 59), plan.branch), now=now,
    )


def on_route_published(route) -> Message | None:
    return on_route_changed(route, RouteChange.Kind.PUBLISHED)


@message_hook
def on_route_revised(*, plan, volunteer, route=None, added: int = 0,
                     removed: int = 0) -> Message | None:
    """A re-plan of the day was published and this volunteer's route changed: one message
    with what changed (addresses added and taken away, how many now). A route message still
    waiting to leave is replaced by this one."""
    if plan.date < local_today(plan.branch):
        return None
    user = volunteer.user
    if not user.phone:
        return None
    language = user.language if user.language in ("ru", "kk") else "ru"
    if route is not None:
        context = route_context(route, language)
    else:  # the route is gone: nothing left for them that day
        context = {"route": None, "volunteer": user.first_name or str(user),
                   "date": say_date(plan.date, language), "stops": 0, "start": ""}
    context.update(added=added, removed=removed)
    try:
        text, language = render(TemplateCode.ROUTE_REVISED, channel=Channel.SMS,
                                language=language, context=context)
    except TemplateMissing:
        logger.error("No template route_revised: nothing sent to volunteer %s", user.pk)
        return None
    if route is not None:
        Message.objects.filter(event_key__startswith=f"route:{route.pk}:",
                               status=MessageStatus.QUEUED).update(
            status=MessageStatus.CANCELLED, error_code="superseded",
            error_message="The day was re-planned.")
    count = Message.objects.filter(event_key__startswith=f"revision:{plan.pk}:{volunteer.pk}:"
                                   ).count()
    now = timezone.now()
    return message_enqueue(
        event_key=f"revision:{plan.pk}:{volunteer.pk}:{count + 1}",
        template=TemplateCode.ROUTE_REVISED, to=str(user.phone), text=text, language=language,
        user=user, branch=plan.branch, context=context, now=now,
        expires_at=local_at(plan.date, datetime.time(23, 59), plan.branch))


# Concerns about a reader -------------------------------------------------------------------------


def _address(reader) -> str:
    parts = [reader.settlement, reader.street, reader.house]
    text = ", ".join(p for p in parts if p)
    return f"{text}, {reader.apartment}" if text and reader.apartment else text


@message_hook
def on_concern_raised(concern) -> list[Message]:
    """A volunteer is worried about a reader: the branch's duty phone hears at once (day or
    night, the note stays on the card), and the reader's caregiver when the card says
    messages go to them. Each once (`event_key`)."""
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
        message = reader_message_send(
            reader=reader, code=TemplateCode.CONCERN_CAREGIVER,
            event_key=f"concern:{concern.pk}:caregiver", branch=branch,
            context={"kind": kind, "branch_phone": branch.phone or branch.duty_phone})
        if message is not None:
            sent.append(message)
    return sent
