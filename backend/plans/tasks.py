"""Background jobs of the standing plans."""
from celery import shared_task

from backend.plans.orders import standing_orders_generate


@shared_task(name="plans.generate_standing_orders")
def generate_standing_orders_task(days: int = 7) -> dict:
    """The daily job: orders from standing plans for tomorrow through today + `days`.

    Idempotent, so a retry or a second beat firing does no harm.
    """
    return standing_orders_generate(days=days).summary()

