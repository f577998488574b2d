"""Background jobs of the orders app."""
from celery import shared_task

from backend.orders.messages import visit_reminders_send
from backend.orders.standing import standing_orders_generate


@shared_task(name="orders.generate_standing_orders")
def generate_standing_orders_task(days: int = 7) -> dict:
    """The daily job: orders from standing plans for tomorrow through today + `days`.

    Idempotent, so a retry or a second beat firing does no harm.
    """
    return standing_orders_generate(days=days).summary()


@shared_task(name="orders.visit_reminders")
def visit_reminders_task() -> int:
    """Every evening: tomorrow's visits and the items due back then."""
    return visit_reminders_send()
