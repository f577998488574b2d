"""Background jobs of accounts."""
from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens_task() -> None:
    """The nightly job: refresh tokens past their expiry leave the outstanding list and the
    blacklist (simplejwt's flushexpiredtokens). Idempotent."""
    call_command("flushexpiredtokens")
