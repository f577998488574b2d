"""What the app's server side keeps only for a while: idempotency answers (they repeat what
a stop looked like, with the reader's name and address), sign-in codes and lockout counters
(they name phone numbers). Pruned daily by `mobile.prune`."""
from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from mobile_api.models import IdempotencyRecord, SignInCode, SignInLock


def prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete idempotency answers older than MOBILE_IDEMPOTENCY_DAYS (an app offline longer
    than that cannot replay its queue anyway), sign-in codes a day after they expired, and
    lockout counters whose window and lock are over."""
    now = now or timezone.now()
    keep_days = int(getattr(settings, "MOBILE_IDEMPOTENCY_DAYS", 30))
    window = datetime.timedelta(minutes=int(getattr(settings, "MOBILE_LOCKOUT_MINUTES", 15)))
    answers, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - datetime.timedelta(days=keep_days)).delete()
    codes, _ = SignInCode.objects.filter(
        expires_at__lt=now - datetime.timedelta(days=1)).delete()
    locks, _ = SignInLock.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        Q(first_failure_at__isnull=True) | Q(first_failure_at__lt=now - window),
    ).delete()
    return {"idempotency_answers": answers, "sign_in_codes": codes, "sign_in_locks": locks}
