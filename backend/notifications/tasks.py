from celery import shared_task

from backend.notifications.models import Message
from backend.notifications.sending import message_send, messages_send_due, messages_sweep


@shared_task(name="notifications.send_message")
def send_message_task(message_id: int) -> str:
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return "missing"
    return message_send(message=message).status


@shared_task(name="notifications.send_due")
def send_due_messages_task() -> int:
    return messages_send_due()


@shared_task(name="notifications.sweep")
def sweep_messages_task() -> dict:
    """Every minute: stale SENDING rows checked with the provider, expired ones dropped,
    due ones sent."""
    return messages_sweep()
