"""Sending a one-time sign-in code, in a worker (`mobile.sign_in_code_deliver`) or once the
answer is out (mobile_api/auth.py decides which)."""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mobile_api.models import SignInCode


def otp_deliver(*, record_id: int, code: str) -> None:
    """Send the code of a volunteer's phone by SMS; a code of an unknown phone, or one
    already replaced, used or expired, is dropped."""
    from backend.notifications.services import sign_in_code_send

    record = (SignInCode.objects.select_related("user")
              .filter(pk=record_id, user__isnull=False, used_at__isnull=True,
                      expires_at__gt=timezone.now()).first())
    if record is None:
        return
    user = record.user
    language = user.language if user.language in ("ru", "kk", "en") else "ru"
    with transaction.atomic():
        sign_in_code_send(phone=record.phone, code=code, language=language, user=user,
                          event_key=f"sign_in_code:{record.pk}")
