"""Sign-in lockout, for every way in: the volunteers' app (by phone), the staff sign-in page,
the admin and the staff API (by username and by client address).

Failures are counted per key in the database (SignInLock), so several processes agree:
after MOBILE_LOCKOUT_FAILURES failures (or the caller's own `limit`) within
MOBILE_LOCKOUT_MINUTES the key is locked for MOBILE_LOCKOUT_MINUTES (`auth.locked`, 429,
with Retry-After). A success clears the count. Counters whose window and lock are over are
pruned nightly (`accounts.prune_sign_in_locks`).
"""
from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from backend.accounts.models import SignInLock
from backend.core.exceptions import ApplicationError


def _window() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(getattr(settings, "MOBILE_LOCKOUT_MINUTES", 15)))


class LockedOut(ApplicationError):
    def __init__(self, seconds: int) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__("auth.locked",
                         ngettext("Too many failed attempts. Try again in %(minutes)s minute.",
                                  "Too many failed attempts. Try again in %(minutes)s minutes.",
                                  minutes) % {"minutes": minutes},
                         status_code=429)
        self.retry_after = max(1, seconds)


def _lock_key(ident: str, kind: str) -> str:
    return f"{kind}:{ident}"[:64]


def lock_check(ident: str, *, kind: str = "phone") -> None:
    """Raise `auth.locked` while the phone (or the staff username: kind="staff") is locked."""
    lock = SignInLock.objects.filter(key=_lock_key(ident, kind)).only("locked_until").first()
    now = timezone.now()
    if lock is not None and lock.locked_until and lock.locked_until > now:
        raise LockedOut(math.ceil((lock.locked_until - now).total_seconds()))


def lock_fail(ident: str, *, kind: str = "phone", limit: int | None = None) -> None:
    """Count a failure; lock when there have been too many (MOBILE_LOCKOUT_FAILURES unless
    `limit` says otherwise) within MOBILE_LOCKOUT_MINUTES."""
    limit = limit or int(getattr(settings, "MOBILE_LOCKOUT_FAILURES", 5))
    window = _window()
    now = timezone.now()
    key = _lock_key(ident, kind)
    with transaction.atomic():
        try:
            with transaction.atomic():
                SignInLock.objects.get_or_create(key=key)
        except IntegrityError:
            pass  # made by a concurrent failure a moment ago
        lock = SignInLock.objects.select_for_update().get(key=key)
        if lock.first_failure_at is None or now - lock.first_failure_at > window \
                or (lock.locked_until and lock.locked_until <= now):
            lock.failures = 0
            lock.first_failure_at = now
            lock.locked_until = None
        lock.failures += 1
        if lock.failures >= limit:
            lock.locked_until = now + window
        lock.save()


def lock_clear(ident: str, *, kind: str = "phone") -> None:
    SignInLock.objects.filter(key=_lock_key(ident, kind)).delete()


def sign_in_locks_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the counters whose window and lock are over (they name phone numbers and
    usernames); answer how many went."""
    now = now or timezone.now()
    deleted, _ = SignInLock.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        Q(first_failure_at__isnull=True) | Q(first_failure_at__lt=now - _window()),
    ).delete()
    return deleted
