"""Background jobs of accounts."""
from celery import shared_task
from django.core.management import call_command

from backend.accounts.lockout import sign_in_locks_prune


@shared_task(name="accounts.flush_expired_tokens")
def flush_expired_tokens_task() -> None:
    """The nightly job: refresh tokens past their expiry leave the outstanding list and the
    blacklist (simplejwt's flushexpiredtokens). Idempotent."""
    call_command("flushexpiredtokens")


@shared_task(name="accounts.prune_sign_in_locks")
def prune_sign_in_locks_task() -> int:
    """The nightly job: sign-in lockout counters whose window and lock are over go.
    Idempotent."""
    return sign_in_locks_prune()
