"""Putting messages in the outbox and sending them after commit."""
import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.notifications.gateways import GatewayError, get_gateway
from backend.notifications.models import Channel, Message, MessageStatus

logger = logging.getLogger("kniga03.messages")


def message_enqueue(*, event_key: str, template: str, to: str, text: str,
                    language: str = "ru", channel: str = Channel.SMS, reader=None, user=None,
                    not_before: datetime.datetime | None = None) -> Message | None:
    """Write the message in the caller's transaction; it is sent after commit. The same
    event twice makes one message (the second call answers the first)."""
    try:
        with transaction.atomic():
            message = Message.objects.create(
                event_key=event_key, template=template, to=to, text=text, language=language,
                channel=channel, reader=reader, user=user,
                not_before=not_before or timezone.now(),
            )
    except IntegrityError:
        return Message.objects.filter(event_key=event_key).first()
    transaction.on_commit(lambda: send_message_task_enqueue(message.pk))
    return message


def send_message_task_enqueue(message_id: int) -> None:
    from backend.notifications.tasks import send_message_task

    send_message_task.delay(message_id)


def message_send(*, message: Message) -> Message:
    """Send one queued message whose time has come. Claims the row first, so two workers
    never send it twice."""
    claimed = Message.objects.filter(
        pk=message.pk, status=MessageStatus.QUEUED, not_before__lte=timezone.now()
    ).update(status=MessageStatus.SENDING, attempts=message.attempts + 1)
    if not claimed:
        return Message.objects.get(pk=message.pk)
    message.refresh_from_db()
    gateway = get_gateway()
    try:
        if message.channel == Channel.VOICE:
            result = gateway.call(to=message.to, text=message.text, language=message.language)
        else:
            result = gateway.send_sms(to=message.to, text=message.text)
    except GatewayError as exc:
        message.status = MessageStatus.FAILED if exc.permanent else MessageStatus.QUEUED
        message.error_code = exc.code
        message.error_message = str(exc)[:500]
        if not exc.permanent:
            message.not_before = timezone.now() + datetime.timedelta(
                seconds=min(3600, 30 * 2 ** min(message.attempts, 7)))
        message.save()
        return message
    message.status = MessageStatus.SENT
    message.provider_id = result.provider_id
    message.sent_at = timezone.now()
    message.error_code = message.error_message = ""
    message.save()
    return message


def messages_send_due(*, limit: int = 500) -> int:
    """Send every queued message whose time has come (the worker's periodic sweep)."""
    sent = 0
    for message in Message.objects.filter(status=MessageStatus.QUEUED,
                                          not_before__lte=timezone.now())[:limit]:
        message_send(message=message)
        sent += 1
    return sent


def sign_in_code_send(*, phone: str, code: str, language: str = "ru", user=None,
                      event_key: str) -> Message | None:
    """The volunteer app's one-time sign-in code, by SMS."""
    from django.utils import translation
    from django.utils.translation import gettext as _

    with translation.override(language):
        text = _("Kniga 03 sign-in code: %(code)s. Do not tell it to anyone.") % {"code": code}
    return message_enqueue(event_key=event_key, template="sign_in_code", to=phone, text=text,
                           language=language, user=user)
