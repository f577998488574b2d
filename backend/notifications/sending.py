"""Sending what the outbox holds, and what the provider tells us back.

The life of a message: QUEUED (written with its event, waits for `not_before`, which
quiet hours push to the morning) → SENDING (claimed by one worker) → SENT → DELIVERED,
or FAILED (a permanent error, or too many attempts) or CANCELLED (the number said STOP,
or the message is useless now). A temporary failure puts it back in QUEUED with a later
`not_before`. A message whose fate is unknown (the worker died in SENDING, or Twilio did
not answer in time) is looked up in the provider's log before any new attempt, so it is
never sent twice.

A number that says STOP (by SMS, or the provider refusing to send to it) is recorded here
on the number; the apps that keep cards with that number hear of it through the registry
(backend/notifications/registry.py).
"""
import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from backend.core.phones import mask, to_e164
from backend.core.prepared import PreparedRead
from backend.notifications import registry
from backend.notifications.gateways import GatewayError, SendResult, get_gateway
from backend.notifications.models import Channel, Message, MessageStatus, PhoneOptOut
from backend.notifications.texts import TemplateMissing, next_allowed_time, render
from backend.notifications.voice import voice_audio_prune, voice_plan

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


def normal_number(number) -> str:
    """The number in E.164 when it is one (KZ by default), else as given."""
    text = str(number or "").strip()
    return to_e164(text) or text


# STOP and START ---------------------------------------------------------------------------------


def number_opted_out(number: str) -> bool:
    return bool(_OPTED_OUT.rows(number=normal_number(number)))


# Read for every message written: its SQL built once per connection (core.prepared).
_OPTED_OUT = PreparedRead(lambda number: PhoneOptOut.objects.filter(number=number)
                          .order_by().values("pk")[:1], "number", texts=("number",))


@transaction.atomic
def phone_opt_out(*, number: str, keyword: str = "STOP",
                  now: datetime.datetime | None = None) -> int:
    """The number said STOP: it is recorded on the number, the apps that keep cards with
    that number record it on them (the registry's listeners: readers turns the phone's SMS
    off and notes on the card when messages were refused), and what is still queued for
    the number or those cards is cancelled. Answers how many queued messages were
    cancelled."""
    now = now or timezone.now()
    number = normal_number(number)
    PhoneOptOut.objects.update_or_create(number=number,
                                         defaults={"keyword": keyword[:40], "at": now})
    readers = registry.phone_opted_out(number=number, keyword=keyword, now=now)
    return Message.objects.filter(
        Q(to=number) | Q(reader_id__in=readers), status=MessageStatus.QUEUED,
    ).update(status=MessageStatus.CANCELLED, error_code=OPTED_OUT,
             error_message="The number refused messages.", updated_at=now)


@transaction.atomic
def phone_opt_in(*, number: str, now: datetime.datetime | None = None) -> None:
    """START: messages to the number (and the cards that use it) may go again."""
    now = now or timezone.now()
    number = normal_number(number)
    PhoneOptOut.objects.filter(number=number).delete()
    registry.phone_opted_in(number=number, now=now)


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


def _backoff(attempts: int, exc: GatewayError) -> datetime.timedelta:
    seconds = min(3600, 30 * 2 ** max(0, min(attempts - 1, 7)))
    if exc.retry_after:
        seconds = max(seconds, exc.retry_after)  # rate limited: wait as the provider asks
    return datetime.timedelta(seconds=seconds)


def _retry_later(message: Message, exc: GatewayError, now: datetime.datetime) -> None:
    unknown = message.fate_unknown or exc.maybe_sent
    if message.attempts >= _setting("MESSAGE_MAX_ATTEMPTS", 8):
        _leave_sending(message, status=MessageStatus.FAILED, fate_unknown=unknown,
                       error_code=exc.code or GAVE_UP,
                       error_message=(f"Gave up after {message.attempts} attempts: {exc}")[:500])
        return
    when = next_allowed_time(now + _backoff(message.attempts, exc), message.branch)
    _leave_sending(message, status=MessageStatus.QUEUED, not_before=when, fate_unknown=unknown,
                   error_code=exc.code, error_message=str(exc)[:500])


def _fail(message: Message, exc: GatewayError) -> None:
    _leave_sending(message, status=MessageStatus.FAILED, fate_unknown=False,
                   error_code=exc.code, error_message=str(exc)[:500])
    if exc.opted_out:  # the provider knows the number said STOP: honour it here too
        phone_opt_out(number=message.to, keyword=exc.code or OPTED_OUT)


def _cancel_reason(message: Message, now: datetime.datetime) -> str:
    if message.expires_at is not None and now > message.expires_at:
        return EXPIRED
    if number_opted_out(message.to):
        return OPTED_OUT
    if message.reader_id and message.reader.messages_opt_out_at:
        return OPTED_OUT
    return ""


def _refresh_text(message: Message) -> None:
    """A message whose app registered a refresher says things as they are when it leaves
    (a route message: the route now, not as it was when a burst of changes began)."""
    refresher = registry.context_refresher(message.template)
    context = refresher(message) if refresher is not None else None
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
            plan = voice_plan(message)
            Message.objects.filter(pk=message.pk).update(voice_mode=plan.mode)
            message.voice_mode = plan.mode
            result = gateway.call(to=message.to, text=message.text, language=message.language,
                                  callback_url=_callback_url(message), plan=plan)
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
    due, delete call audio kept longer than needed."""
    now = now or timezone.now()
    recovered = messages_recover_stale(now=now)
    expired = Message.objects.filter(
        status=MessageStatus.QUEUED, expires_at__lt=now,
    ).update(status=MessageStatus.CANCELLED, error_code=EXPIRED,
             error_message="Could not go out in time.", updated_at=now)
    return {"recovered": recovered, "expired": expired, "sent": messages_send_due(now=now),
            "audio_deleted": voice_audio_prune(now=now)}


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


