"""Putting messages in the outbox, and what comes in: replies, calls, the desk's inbox.

A message is written in the transaction of the event it reports and handed to a worker
after commit (backend/notifications/sending.py sends it). What an event says and who hears
it lives with the app that owns the event (orders/messages.py, routing/messages.py, ...);
what a reader's reply means is decided by the app registered for it
(backend/notifications/registry.py). This app imports no domain app.
"""
from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from backend.core.inserts import insert_unless_taken
from backend.notifications import registry
from backend.notifications.models import (
    Channel,
    InboundAction,
    InboundSms,
    InboxItem,
    InboxKind,
    InboxStatus,
    Message,
    MessageStatus,
    MessageTemplate,
)
from backend.notifications.sending import EXPIRED, OPTED_OUT, normal_number, number_opted_out
from backend.notifications.tasks import send_message_task
from backend.notifications.texts import TemplateMissing, next_allowed_time, render

logger = logging.getLogger("kniga03.messages")
T = TypeVar("T")


def message_hook(function: Callable[..., T]) -> Callable[..., T | None]:
    """For the apps' event hooks (`on_order_confirmed`, ...): run the hook in a savepoint;
    its failure is logged and the caller's event goes on (a message that cannot be written,
    no template, a bad phone, never stops the event it reports).

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


# Writing ----------------------------------------------------------------------------------------


def message_refused(*, to: str, reader: Model | None = None,
                    number_refused: bool | None = None) -> bool:
    """Whether a message to `to` (for `reader`) would be written as cancelled: the number
    said STOP, or the reader refused messages. The one rule for the outbox and for anyone
    who tells a reader in advance how they will hear from us (the desk's read-back).
    `number_refused`: whether `to`, as it is, said STOP, when the caller has read it (not
    read again)."""
    number = normal_number(to)
    if number_refused is None or number != to:
        number_refused = number_opted_out(number)
    return number_refused or bool(
        reader is not None and getattr(reader, "messages_opt_out_at", None))


def message_enqueue(*, event_key: str, template: str, to: str, text: str,
                    language: str = "ru", channel: str = Channel.SMS, reader: Model | None = None,
                    user: AbstractBaseUser | None = None,
                    not_before: datetime.datetime | None = None, order: Model | None = None,
                    branch: Model | None = None,
                    context: dict | None = None, via_caregiver: bool = False,
                    expires_at: datetime.datetime | None = None, quiet_hours: bool = True,
                    say_text: str = "",
                    now: datetime.datetime | None = None,
                    number_refused: bool | None = None) -> Message | None:
    """Write the message in the caller's transaction; it is sent after commit. The same
    event twice makes one message (the second call answers the first).

    Outside the branch's messaging hours the message waits for the morning. A message to
    a number that said STOP is written as cancelled, so the outbox shows why nothing went.
    A call in a language Twilio's voices do not speak carries `say_text`, its Russian text,
    said when no audio in that language can be played (backend/notifications/voice.py).
    `number_refused`: whether the number `to` said STOP, when the caller has read it.
    """
    now = now or timezone.now()
    number = normal_number(to)
    if number != to:  # what the caller read was of the number as written
        to, number_refused = number, None
    when = not_before or now
    if quiet_hours:
        when = next_allowed_time(when, branch)
    status, code, reason = MessageStatus.QUEUED, "", ""
    if message_refused(to=to, reader=reader, number_refused=number_refused):
        status, code, reason = MessageStatus.CANCELLED, OPTED_OUT, "The number refused messages."
    elif expires_at is not None and when > expires_at:
        status, code, reason = MessageStatus.CANCELLED, EXPIRED, "Could not go out in time."
    message = Message(
        event_key=event_key[:200], template=template, to=to, text=text,
        language=language, channel=channel, reader=reader, user=user,
        not_before=when, order=order, branch=branch, context=context or {},
        via_caregiver=via_caregiver, expires_at=expires_at, status=status,
        error_code=code, error_message=reason, say_text=say_text,
    )
    # One statement where the database can (no savepoint around it): the event's message
    # written, or the one an earlier call wrote for it answered.
    if not insert_unless_taken(message, conflict_fields=("event_key",)):
        return Message.objects.filter(event_key=message.event_key).first()
    if status == MessageStatus.QUEUED and when <= now:
        transaction.on_commit(lambda: send_message_task_enqueue(message.pk))
    return message


def send_message_task_enqueue(message_id: int) -> None:
    """Hand a committed message to a worker. With the task broker down the message simply
    waits in the outbox (queued) and the sweep sends it once the broker is back: the event
    that wrote it has happened and must not fail for that."""
    try:
        send_message_task.delay(message_id)
    except BrokerError as exc:
        logger.warning("Message %s waits in the outbox for the sweep: the task broker did not "
                       "answer (%s)", message_id, exc)


# Replies and calls ------------------------------------------------------------------------------


@transaction.atomic
def inbound_sms_receive(*, phone: str, body: str, sid: str,
                        now: datetime.datetime | None = None) -> tuple[str, str]:
    """A reader's SMS. What it means (STOP / START, a visit confirmed or to be moved, a
    note for the desk) is decided by the handler the orders app registered; without one it
    goes to the operator's inbox. Twilio may post the same SMS twice: the second time
    changes nothing. Answers (action, reply text)."""
    now = now or timezone.now()
    number = normal_number(phone)
    seen = InboundSms.objects.filter(provider_id=sid).first() if sid else None
    if seen is not None:
        return seen.action, ""
    handler = registry.inbound_sms_handler()
    if handler is not None:
        result = handler(number=number, body=body, sid=sid, now=now)
    else:
        reader = registry.phone_owner(number)
        InboxItem.objects.create(kind=InboxKind.MESSAGE, reader=reader, phone=number,
                                 text=body[:1000], provider_id=sid or "")
        result = registry.InboundReply(action=InboundAction.INBOX, reader=reader)
    InboundSms.objects.create(provider_id=sid or f"local-{now.timestamp()}", phone=number,
                              text=body[:1000], action=result.action, reader=result.reader,
                              order=result.order, received_at=now)
    return result.action, result.reply


@transaction.atomic
def incoming_call_receive(*, phone: str, sid: str = "",
                          now: datetime.datetime | None = None) -> InboxItem:
    """An incoming call: it pops up on the operator desk with the caller's card."""
    number = normal_number(phone)
    if sid:
        existing = InboxItem.objects.filter(provider_id=sid).first()
        if existing is not None:
            return existing
    return InboxItem.objects.create(kind=InboxKind.CALL, reader=registry.phone_owner(number),
                                    phone=number, provider_id=sid)


def inbox_item_add(*, kind: str, phone: str, text: str = "",
                   reader: Model | None = None, order: Model | None = None,
                   urgent: bool = False, provider_id: str = "") -> InboxItem:
    """Something for the desk to look at, written in the caller's transaction. An urgent
    item (a concern about a reader) is listed before everything else."""
    return InboxItem.objects.create(kind=kind, phone=normal_number(phone)[:20], text=text[:1000],
                                    reader=reader, order=order, urgent=urgent,
                                    provider_id=provider_id)


@transaction.atomic
def inbox_item_done(*, item: InboxItem, by: AbstractBaseUser | None = None,
                    now: datetime.datetime | None = None) -> InboxItem:
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


def sign_in_code_send(*, phone: str, code: str, language: str = "ru",
                      user: AbstractBaseUser | None = None, event_key: str) -> Message | None:
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


# Templates --------------------------------------------------------------------------------------


@transaction.atomic
def message_template_save(*, template: MessageTemplate,
                          by: AbstractBaseUser | None = None) -> MessageTemplate:
    """A librarian's template text, kept only if it renders: an unknown variable, a missing
    one or a stray brace is a ValidationError on `text` (the admin's form shows it first)."""
    template.full_clean()
    if by is not None and by.is_authenticated:
        template.updated_by = by
    template.save()
    return template
