"""Putting messages in the outbox and sending them after commit; what comes back.

The life of a message: QUEUED (written with its event, waits for `not_before`, which
quiet hours push to the morning) → SENDING (claimed by one worker) → SENT → DELIVERED,
or FAILED (a permanent error, or too many attempts) or CANCELLED (the number said STOP,
or the message is useless now). A temporary failure puts it back in QUEUED with a later
`not_before`. A message whose fate is unknown (the worker died in SENDING, or Twilio did
not answer in time) is looked up in the provider's log before any new attempt, so it is
never sent twice.
"""
import datetime
import logging
import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from backend.core.phones import mask, to_e164
from backend.notifications.gateways import GatewayError, SendResult, get_gateway
from backend.notifications.models import (
    Channel,
    InboundAction,
    InboundSms,
    InboxItem,
    InboxKind,
    InboxStatus,
    Message,
    MessageStatus,
    PhoneOptOut,
)
from backend.notifications.texts import TemplateMissing, next_allowed_time, render

logger = logging.getLogger("kniga03.messages")

OPTED_OUT = "opted_out"
EXPIRED = "expired"
GAVE_UP = "too_many_attempts"
# How far the provider's statuses move a message; a late "sent" never undoes "delivered".
PROVIDER_STATUS = {
    "accepted": MessageStatus.SENT, "queued": MessageStatus.SENT,
    "scheduled": MessageStatus.SENT, "sending": MessageStatus.SENT, "sent": MessageStatus.SENT,
    "initiated": MessageStatus.SENT, "ringing": MessageStatus.SENT,
    "in-progress": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED, "read": MessageStatus.DELIVERED,
    "completed": MessageStatus.DELIVERED,
    "failed": MessageStatus.FAILED, "undelivered": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED, "busy": MessageStatus.FAILED,
    "no-answer": MessageStatus.FAILED,
}
RANK = {MessageStatus.QUEUED: 0, MessageStatus.SENDING: 1, MessageStatus.SENT: 2,
        MessageStatus.DELIVERED: 3, MessageStatus.FAILED: 3, MessageStatus.CANCELLED: 3}
# A call nobody picked up is tried again later, this many calls in all.
VOICE_NO_ANSWER = frozenset({"busy", "no-answer"})


def _setting(name: str, default):
    return getattr(settings, name, default)


def _normal(number) -> str:
    text = str(number or "").strip()
    return to_e164(text) or text


# Writing ----------------------------------------------------------------------------------------


def number_opted_out(number: str) -> bool:
    return PhoneOptOut.objects.filter(number=_normal(number)).exists()


def message_enqueue(*, event_key: str, template: str, to: str, text: str,
                    language: str = "ru", channel: str = Channel.SMS, reader=None, user=None,
                    not_before: datetime.datetime | None = None, order=None, branch=None,
                    context: dict | None = None, via_caregiver: bool = False,
                    expires_at: datetime.datetime | None = None, quiet_hours: bool = True,
                    now: datetime.datetime | None = None) -> Message | None:
    """Write the message in the caller's transaction; it is sent after commit. The same
    event twice makes one message (the second call answers the first).

    Outside the branch's messaging hours the message waits for the morning. A message to
    a number that said STOP is written as cancelled, so the outbox shows why nothing went.
    """
    now = now or timezone.now()
    to = _normal(to)
    when = not_before or now
    if quiet_hours:
        when = next_allowed_time(when, branch)
    status, code, reason = MessageStatus.QUEUED, "", ""
    if number_opted_out(to) or (reader is not None and reader.messages_opt_out_at):
        status, code, reason = MessageStatus.CANCELLED, OPTED_OUT, "The number refused messages."
    elif expires_at is not None and when > expires_at:
        status, code, reason = MessageStatus.CANCELLED, EXPIRED, "Could not go out in time."
    try:
        with transaction.atomic():
            message = Message.objects.create(
                event_key=event_key[:200], template=template, to=to, text=text,
                language=language, channel=channel, reader=reader, user=user,
                not_before=when, order=order, branch=branch, context=context or {},
                via_caregiver=via_caregiver, expires_at=expires_at, status=status,
                error_code=code, error_message=reason,
            )
    except IntegrityError:
        return Message.objects.filter(event_key=event_key[:200]).first()
    if status == MessageStatus.QUEUED and when <= now:
        transaction.on_commit(lambda: send_message_task_enqueue(message.pk))
    return message


def send_message_task_enqueue(message_id: int) -> None:
    """Hand a committed message to a worker. With the task broker down the message simply
    waits in the outbox (queued) and the sweep sends it once the broker is back: the event
    that wrote it has happened and must not fail for that."""
    from kombu.exceptions import OperationalError as BrokerError

    from backend.notifications.tasks import send_message_task

    try:
        send_message_task.delay(message_id)
    except BrokerError as exc:
        logger.warning("Message %s waits in the outbox for the sweep: the task broker did not "
                       "answer (%s)", message_id, exc)


# Sending ----------------------------------------------------------------------------------------


def _callback_url(message: Message) -> str:
    """Where Twilio reports the message's fate; `m` finds the row even before we stored
    Twilio's id (the worker may die right after Twilio accepted)."""
    base = _setting("TWILIO_STATUS_CALLBACK_URL", "")
    if not base:
        public = _setting("TWILIO_WEBHOOK_BASE_URL", "")
        if not public:
            return ""
        try:
            base = public.rstrip("/") + reverse("twilio-status")
        except NoReverseMatch:
            return ""
    return f"{base}{'&' if '?' in base else '?'}m={message.pk}"


def _leave_sending(message: Message, **values) -> bool:
    """Move a claimed message on, unless a status callback already did."""
    values.setdefault("updated_at", timezone.now())
    done = Message.objects.filter(pk=message.pk, status=MessageStatus.SENDING).update(**values)
    message.refresh_from_db()
    return bool(done)


def _mark_sent(message: Message, result: SendResult, now: datetime.datetime) -> None:
    status = PROVIDER_STATUS.get(result.status, MessageStatus.SENT)
    values = {"status": status, "provider_id": result.provider_id, "sent_at": now,
              "provider_status": result.status[:20], "fate_unknown": False,
              "error_code": "", "error_message": ""}
    if status == MessageStatus.DELIVERED:
        values["delivered_at"] = now
    if status == MessageStatus.FAILED:
        values.update(error_code=result.error_code or result.status,
                      error_message=f"Twilio: {result.status}")
    if not _leave_sending(message, **values):
        # The status callback came first; keep its status, make sure the id is there.
        Message.objects.filter(pk=message.pk, provider_id="").update(
            provider_id=result.provider_id)
        message.refresh_from_db()


def _backoff(attempts: int, code: str) -> datetime.timedelta:
    seconds = min(3600, 30 * 2 ** max(0, min(attempts - 1, 7)))
    if code in ("20429", "14107", "429"):
        seconds = max(seconds, 60)  # rate limited: give Twilio's queue a minute
    return datetime.timedelta(seconds=seconds)


def _retry_later(message: Message, exc: GatewayError, now: datetime.datetime) -> None:
    unknown = message.fate_unknown or exc.maybe_sent
    if message.attempts >= _setting("MESSAGE_MAX_ATTEMPTS", 8):
        _leave_sending(message, status=MessageStatus.FAILED, fate_unknown=unknown,
                       error_code=exc.code or GAVE_UP,
                       error_message=(f"Gave up after {message.attempts} attempts: {exc}")[:500])
        return
    when = next_allowed_time(now + _backoff(message.attempts, exc.code), message.branch)
    _leave_sending(message, status=MessageStatus.QUEUED, not_before=when, fate_unknown=unknown,
                   error_code=exc.code, error_message=str(exc)[:500])


def _fail(message: Message, exc: GatewayError) -> None:
    _leave_sending(message, status=MessageStatus.FAILED, fate_unknown=False,
                   error_code=exc.code, error_message=str(exc)[:500])
    if exc.code == "21610":  # Twilio knows the number said STOP: honour it here too
        phone_opt_out(number=message.to, keyword="21610")


def _cancel_reason(message: Message, now: datetime.datetime) -> str:
    if message.expires_at is not None and now > message.expires_at:
        return EXPIRED
    if number_opted_out(message.to):
        return OPTED_OUT
    if message.reader_id and message.reader.messages_opt_out_at:
        return OPTED_OUT
    return ""


def _refresh_text(message: Message) -> None:
    """Route messages say the route as it is when they leave, not as it was when a burst
    of changes began."""
    from backend.notifications import events

    context = events.fresh_context(message)
    if context is None:
        return
    try:
        text, _language = render(message.template, channel=message.channel,
                                 language=message.language, context=context)
    except TemplateMissing:
        return
    Message.objects.filter(pk=message.pk).update(text=text, context=context)
    message.text, message.context = text, context


def message_send(*, message: Message, now: datetime.datetime | None = None,
                 gateway=None) -> Message:
    """Send one queued message whose time has come. Claims the row first, so two workers
    never send it twice; a message whose fate is unknown is looked up in the provider's log
    first and, if the provider has it, marked sent without sending it again."""
    now = now or timezone.now()
    claimed = Message.objects.filter(
        pk=message.pk, status=MessageStatus.QUEUED, not_before__lte=now
    ).update(status=MessageStatus.SENDING, attempts=F("attempts") + 1, claimed_at=now,
             updated_at=now)
    if not claimed:
        return Message.objects.get(pk=message.pk)
    message = Message.objects.select_related("reader", "branch").get(pk=message.pk)
    reason = _cancel_reason(message, now)
    if reason:
        _leave_sending(message, status=MessageStatus.CANCELLED, error_code=reason,
                       error_message="The number refused messages." if reason == OPTED_OUT
                       else "Could not go out in time.")
        return message
    gateway = gateway or get_gateway()
    if message.fate_unknown:
        known = frozenset(Message.objects.filter(to=message.to).exclude(pk=message.pk)
                          .exclude(provider_id="").values_list("provider_id", flat=True))
        known |= frozenset(message.context.get("earlier_ids", []))
        try:
            found = gateway.find_sent(channel=message.channel, to=message.to, text=message.text,
                                      since=message.created_at, exclude=known)
        except GatewayError as exc:
            _retry_later(message, exc, now)
            return message
        if found is not None:
            logger.info("Message %s was accepted before (%s): not sent again",
                        message.pk, found.provider_id)
            _mark_sent(message, found, now)
            return message
        Message.objects.filter(pk=message.pk).update(fate_unknown=False)
        message.fate_unknown = False
    _refresh_text(message)
    try:
        if message.channel == Channel.VOICE:
            result = gateway.call(to=message.to, text=message.text, language=message.language,
                                  callback_url=_callback_url(message))
        else:
            result = gateway.send_sms(to=message.to, text=message.text,
                                      callback_url=_callback_url(message))
    except GatewayError as exc:
        logger.warning("Message %s to %s failed (%s%s): %s", message.pk, mask(message.to),
                       exc.code, ", permanent" if exc.permanent else "", exc)
        if exc.permanent:
            _fail(message, exc)
        else:
            _retry_later(message, exc, now)
        return message
    _mark_sent(message, result, now)
    return message


def messages_send_due(*, limit: int = 500, now: datetime.datetime | None = None) -> int:
    """Send every queued message whose time has come (the worker's periodic sweep)."""
    now = now or timezone.now()
    ids = list(Message.objects.filter(status=MessageStatus.QUEUED, not_before__lte=now)
               .order_by("not_before", "id").values_list("id", flat=True)[:limit])
    for message_id in ids:
        message_send(message=Message(pk=message_id), now=now)
    return len(ids)


def messages_recover_stale(*, now: datetime.datetime | None = None,
                           stale_seconds: int | None = None) -> int:
    """Messages left in SENDING by a worker that died: their fate is unknown, so they go
    back to the queue marked to be looked up in the provider's log before any retry."""
    now = now or timezone.now()
    stale_seconds = stale_seconds if stale_seconds is not None else _setting(
        "MESSAGE_SENDING_STALE_SECONDS", 300)
    cutoff = now - datetime.timedelta(seconds=stale_seconds)
    stale = Message.objects.filter(status=MessageStatus.SENDING).filter(
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, updated_at__lt=cutoff))
    recovered = 0
    for message in stale:
        recovered += Message.objects.filter(
            pk=message.pk, status=MessageStatus.SENDING, claimed_at=message.claimed_at,
        ).update(status=MessageStatus.QUEUED, fate_unknown=True, not_before=now,
                 updated_at=now)
    if recovered:
        logger.warning("%s message(s) left in sending: to be checked with the provider",
                       recovered)
    return recovered


def messages_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic job: recover stale SENDING rows, drop what is useless now, send what is
    due."""
    now = now or timezone.now()
    recovered = messages_recover_stale(now=now)
    expired = Message.objects.filter(
        status=MessageStatus.QUEUED, expires_at__lt=now,
    ).update(status=MessageStatus.CANCELLED, error_code=EXPIRED,
             error_message="Could not go out in time.", updated_at=now)
    return {"recovered": recovered, "expired": expired, "sent": messages_send_due(now=now)}


def message_requeue(*, message: Message, now: datetime.datetime | None = None) -> Message:
    """A librarian sends a failed or cancelled message again (the admin's action)."""
    now = now or timezone.now()
    Message.objects.filter(
        pk=message.pk, status__in=[MessageStatus.FAILED, MessageStatus.CANCELLED],
    ).exclude(error_code=OPTED_OUT).update(
        status=MessageStatus.QUEUED, not_before=next_allowed_time(now, message.branch),
        attempts=0, error_code="", error_message="", updated_at=now)
    message.refresh_from_db()
    return message


# What the provider tells us ---------------------------------------------------------------------


@transaction.atomic
def message_status_update(*, sid: str, status: str, error_code: str = "",
                          message_id: int | None = None,
                          now: datetime.datetime | None = None) -> Message | None:
    """A delivery status callback. Finds the message by the provider's id, or by our id in
    the callback URL when the worker died before it stored the provider's id."""
    now = now or timezone.now()
    status = (status or "").lower()
    message = None
    if sid:
        message = Message.objects.select_for_update().filter(provider_id=sid).first()
    if message is None and message_id:
        message = Message.objects.select_for_update().filter(
            Q(provider_id="") | Q(provider_id=sid), pk=message_id).first()
    if message is None:
        return None
    target = PROVIDER_STATUS.get(status)
    if target is None:
        return message
    if message.status == MessageStatus.CANCELLED and message.provider_id == "":
        message.status = MessageStatus.SENDING  # it went out after all: record the truth
    if message.status in (MessageStatus.DELIVERED, MessageStatus.FAILED) and \
            RANK[target] <= RANK[message.status] and target != MessageStatus.DELIVERED:
        return message
    message.provider_id = message.provider_id or sid
    message.provider_status = status[:20]
    message.fate_unknown = False
    if message.sent_at is None:
        message.sent_at = now
    if target == MessageStatus.DELIVERED:
        message.status = MessageStatus.DELIVERED
        message.delivered_at = now
        message.error_code = message.error_message = ""
    elif target == MessageStatus.FAILED:
        if message.channel == Channel.VOICE and status in VOICE_NO_ANSWER and \
                message.attempts < _setting("MESSAGE_VOICE_ATTEMPTS", 3):
            # Nobody picked up: call again in half an hour, within the messaging hours.
            message.status = MessageStatus.QUEUED
            message.context = {**message.context, "earlier_ids": [
                *message.context.get("earlier_ids", []), message.provider_id]}
            message.provider_id = ""
            message.not_before = next_allowed_time(now + datetime.timedelta(minutes=30),
                                                   message.branch)
        else:
            message.status = MessageStatus.FAILED
        message.error_code = (error_code or status)[:40]
        message.error_message = f"Twilio: {status}"
    elif RANK[message.status] < RANK[MessageStatus.SENT]:
        message.status = MessageStatus.SENT
    message.save()
    return message


# STOP and START ---------------------------------------------------------------------------------


def _readers_of(number: str):
    from backend.readers.models import Reader

    return Reader.objects.filter(Q(phones__number=number) | Q(caregiver_phone=number)).distinct()


def _record_card_change(reader, before: dict, old_opt_out, new_opt_out) -> None:
    from backend.readers.models import CardChange
    from backend.readers.services import diff, reader_snapshot

    changes = diff(before, reader_snapshot(reader))
    changes["messages_opt_out_at"] = [old_opt_out.isoformat() if old_opt_out else None,
                                      new_opt_out.isoformat() if new_opt_out else None]
    CardChange.objects.create(reader=reader, actor=None, action=CardChange.Action.UPDATED,
                              changes=changes)


@transaction.atomic
def phone_opt_out(*, number: str, keyword: str = "STOP",
                  now: datetime.datetime | None = None) -> int:
    """The number said STOP: it is recorded on the number and on the cards that use it
    (the phone's SMS is off, the card says when messages were refused), and what is still
    queued for it is cancelled. Answers how many queued messages were cancelled."""
    from backend.readers.models import ReaderPhone

    now = now or timezone.now()
    number = _normal(number)
    PhoneOptOut.objects.update_or_create(number=number,
                                         defaults={"keyword": keyword[:40], "at": now})
    readers = list(_readers_of(number).prefetch_related("phones"))
    for reader in readers:
        from backend.readers.services import reader_snapshot

        before = reader_snapshot(reader)
        old = reader.messages_opt_out_at
        ReaderPhone.objects.filter(reader=reader, number=number).update(sms_ok=False)
        reader.messages_opt_out_at = old or now
        reader.save(update_fields=["messages_opt_out_at"])
        reader = type(reader).objects.prefetch_related("phones").get(pk=reader.pk)
        _record_card_change(reader, before, old, reader.messages_opt_out_at)
    return Message.objects.filter(
        Q(to=number) | Q(reader__in=readers), status=MessageStatus.QUEUED,
    ).update(status=MessageStatus.CANCELLED, error_code=OPTED_OUT,
             error_message="The number refused messages.", updated_at=now)


@transaction.atomic
def phone_opt_in(*, number: str, now: datetime.datetime | None = None) -> None:
    """START: messages to the number (and the cards that use it) may go again."""
    from backend.readers.models import ReaderPhone

    now = now or timezone.now()
    number = _normal(number)
    PhoneOptOut.objects.filter(number=number).delete()
    for reader in _readers_of(number).prefetch_related("phones"):
        from backend.readers.services import reader_snapshot

        before = reader_snapshot(reader)
        old = reader.messages_opt_out_at
        ReaderPhone.objects.filter(reader=reader, number=number).update(sms_ok=True)
        reader.messages_opt_out_at = None
        reader.save(update_fields=["messages_opt_out_at"])
        reader = type(reader).objects.prefetch_related("phones").get(pk=reader.pk)
        _record_card_change(reader, before, old, None)


# Replies and calls ------------------------------------------------------------------------------

_WORD = re.compile(r"[^\w]+", re.UNICODE)
STOP_WORDS = frozenset({
    "stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout",
    "стоп", "отписаться", "отписка", "отказ", "хватит",
    "тоқтату", "токтату", "тоқта", "токта", "тоқтат", "бас тарту",
})
START_WORDS = frozenset({"start", "unstop", "старт", "подписаться", "бастау", "жазылу"})
CONFIRM_WORDS = frozenset({"1", "да", "иә", "ия", "иа", "ие", "yes", "ok", "ок"})
MOVE_WORDS = frozenset({"2", "перенести", "перенос", "ауыстыру", "кейінге"})


def _keyword(text: str) -> str:
    return " ".join(_WORD.sub(" ", (text or "").casefold()).split())


def _reader_for(number: str):
    from backend.readers.selectors import readers_by_phone

    reader = readers_by_phone(number).first()
    if reader is None:
        reader = _readers_of(number).select_related("branch").first()
    return reader


def _order_asked_about(number: str, reader):
    """The visit the reply is about: the last message to that number about an order still
    to come, else the reader's next scheduled visit."""
    from backend.orders.models import Order, OrderStatus

    open_statuses = [OrderStatus.READY, OrderStatus.SCHEDULED, OrderStatus.OUT_FOR_DELIVERY]
    last = (Message.objects.filter(to=number, order__isnull=False,
                                   order__status__in=open_statuses)
            .select_related("order").order_by("-created_at", "-id").first())
    if last is not None:
        return last.order
    if reader is None:
        return None
    return (Order.objects.filter(reader=reader, status=OrderStatus.SCHEDULED)
            .order_by("scheduled_date", "id").first())


@transaction.atomic
def inbound_sms_receive(*, phone: str, body: str, sid: str,
                        now: datetime.datetime | None = None) -> tuple[str, str]:
    """A reader's SMS: STOP / START, 1 (ДА, ИӘ) confirms the visit, 2 asks to move it
    (a task in the operator's inbox), anything else goes to the inbox. Twilio may post
    the same SMS twice: the second time changes nothing. Answers (action, reply text)."""
    from backend.orders.models import OrderEvent

    now = now or timezone.now()
    number = _normal(phone)
    seen = InboundSms.objects.filter(provider_id=sid).first() if sid else None
    if seen is not None:
        return seen.action, ""
    reader = _reader_for(number)
    word = _keyword(body)
    order = None
    reply = ""
    if word in STOP_WORDS:
        action = InboundAction.OPT_OUT
        phone_opt_out(number=number, keyword=word, now=now)
        with translation.override(getattr(reader, "language", None) or "ru"):
            reply = _("Kniga 03: you will get no more messages. Send START to get them again.")
    elif word in START_WORDS:
        action = InboundAction.OPT_IN
        phone_opt_in(number=number, now=now)
        with translation.override(getattr(reader, "language", None) or "ru"):
            reply = _("Kniga 03: messages are on again. Send STOP to refuse them.")
    elif word in CONFIRM_WORDS and (order := _order_asked_about(number, reader)) is not None:
        action = InboundAction.CONFIRMED
        with translation.override("ru"):
            note = _("Visit confirmed by the reader by SMS (%(phone)s).") % {"phone": number}
        OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status,
                                  note=note[:500])
        with translation.override(getattr(reader, "language", None) or "ru"):
            reply = _("Thank you, the visit is confirmed.")
    elif word in MOVE_WORDS:
        action = InboundAction.MOVE_REQUEST
        order = _order_asked_about(number, reader)
        InboxItem.objects.create(kind=InboxKind.MOVE_REQUEST, reader=reader, order=order,
                                 phone=number, text=body[:1000], provider_id=sid or "")
        with translation.override(getattr(reader, "language", None) or "ru"):
            reply = _("Thank you, the library will call you to agree on another day.")
    else:
        action = InboundAction.INBOX
        order = _order_asked_about(number, reader) if reader is not None else None
        InboxItem.objects.create(kind=InboxKind.MESSAGE, reader=reader, order=order,
                                 phone=number, text=body[:1000], provider_id=sid or "")
    InboundSms.objects.create(provider_id=sid or f"local-{now.timestamp()}", phone=number,
                              text=body[:1000], action=action, reader=reader, order=order,
                              received_at=now)
    return action, reply


@transaction.atomic
def incoming_call_receive(*, phone: str, sid: str = "",
                          now: datetime.datetime | None = None) -> InboxItem:
    """An incoming call: it pops up on the operator desk with the caller's card."""
    number = _normal(phone)
    if sid:
        existing = InboxItem.objects.filter(provider_id=sid).first()
        if existing is not None:
            return existing
    return InboxItem.objects.create(kind=InboxKind.CALL, reader=_reader_for(number),
                                    phone=number, provider_id=sid)


def inbox_item_add(*, kind: str, phone: str, text: str = "", reader=None, order=None,
                   urgent: bool = False) -> InboxItem:
    """Something for the desk to look at, written in the caller's transaction. An urgent
    item (a concern about a reader) is listed before everything else."""
    return InboxItem.objects.create(kind=kind, phone=_normal(phone)[:20], text=text[:1000],
                                    reader=reader, order=order, urgent=urgent)


@transaction.atomic
def inbox_item_done(*, item: InboxItem, by=None, now: datetime.datetime | None = None) -> InboxItem:
    """The operator has dealt with it. Doing it twice is harmless."""
    item = InboxItem.objects.select_for_update().get(pk=item.pk)
    if item.status != InboxStatus.DONE:
        item.status = InboxStatus.DONE
        item.done_at = now or timezone.now()
        if item.assignee_id is None and by is not None and by.is_authenticated:
            item.assignee = by
        item.save(update_fields=["status", "done_at", "assignee"])
    return item


# The sign-in code -------------------------------------------------------------------------------


def sign_in_code_send(*, phone: str, code: str, language: str = "ru", user=None,
                      event_key: str) -> Message | None:
    """The volunteer app's one-time sign-in code, by SMS. Asked for now, so it does not
    wait for the morning; useless after ten minutes."""
    now = timezone.now()
    try:
        if language not in ("ru", "kk"):
            raise TemplateMissing(language)  # templates are Russian and Kazakh only
        text, language = render("sign_in_code", channel=Channel.SMS, language=language,
                                context={"code": code})
    except TemplateMissing:
        language = language if language in ("ru", "kk", "en") else "ru"
        with translation.override(language):
            text = _("Kniga 03 sign-in code: %(code)s. Do not tell it to anyone.") % {
                "code": code}
    return message_enqueue(event_key=event_key, template="sign_in_code", to=phone, text=text,
                           language=language, user=user, quiet_hours=False, now=now,
                           expires_at=now + datetime.timedelta(minutes=10))
