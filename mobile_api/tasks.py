"""Background jobs of the volunteers' app API."""
from celery import shared_task

from mobile_api.housekeeping import prune


@shared_task(name="mobile.prune")
def prune_task() -> dict:
    """The daily job: old idempotency answers, expired sign-in codes and finished lockouts
    go. Idempotent."""
    return prune()
