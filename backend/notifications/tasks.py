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


@shared_task(name="notifications.sweep")
def sweep_messages_task() -> dict:
    """Every minute: stale SENDING rows checked with the provider, expired ones dropped,
    due ones sent."""
    from backend.notifications.services import messages_sweep

    return messages_sweep()


@shared_task(name="notifications.visit_reminders")
def visit_reminders_task() -> int:
    """Every evening: tomorrow's visits and the items due back then."""
    from backend.notifications.events import visit_reminders_send

    return visit_reminders_send()
