"""Background jobs of the volunteers' app API."""
from celery import shared_task

from mobile_api.code_delivery import otp_deliver
from mobile_api.housekeeping import prune


@shared_task(name="mobile.prune")
def prune_task() -> dict:
    """The daily job: old idempotency answers and expired sign-in codes go. Idempotent."""
    return prune()


@shared_task(name="mobile.sign_in_code_deliver")
def sign_in_code_deliver_task(record_id: int, code: str) -> None:
    """Send a sign-in code by SMS, or drop it when its phone is no volunteer's."""
    otp_deliver(record_id=record_id, code=code)
