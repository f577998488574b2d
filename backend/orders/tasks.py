"""Background jobs of the orders app."""
from celery import shared_task

from backend.orders.messages import visit_reminders_send


@shared_task(name="orders.visit_reminders")
def visit_reminders_task() -> int:
    """Every evening: tomorrow's visits and the items due back then."""
    return visit_reminders_send()
