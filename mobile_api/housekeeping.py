"""What the app's server side keeps only for a while: idempotency answers (they repeat what
a stop looked like, with the reader's name and address) and sign-in codes (they name phone
numbers). Pruned daily by `mobile.prune`; the sign-in lockout counters are accounts' own
(backend/accounts/lockout.py, `accounts.prune_sign_in_locks`)."""
from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from mobile_api.models import IdempotencyRecord, SignInCode


def prune(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete idempotency answers older than MOBILE_IDEMPOTENCY_DAYS (an app offline longer
    than that cannot replay its queue anyway) and sign-in codes a day after they expired."""
    now = now or timezone.now()
    keep_days = int(getattr(settings, "MOBILE_IDEMPOTENCY_DAYS", 30))
    answers, _ = IdempotencyRecord.objects.filter(
        created_at__lt=now - datetime.timedelta(days=keep_days)).delete()
    codes, _ = SignInCode.objects.filter(
        expires_at__lt=now - datetime.timedelta(days=1)).delete()
    return {"idempotency_answers": answers, "sign_in_codes": codes}
