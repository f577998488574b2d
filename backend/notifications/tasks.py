from celery import shared_task


@shared_task(name="notifications.send_message")
def send_message_task(message_id: int) -> str:
    from backend.notifications.models import Message
    from backend.notifications.services import message_send

    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return "missing"
    return message_send(message=message).status


@shared_task(name="notifications.send_due")
def send_due_messages_task() -> int:
    from backend.notifications.services import messages_send_due

    return messages_send_due()
