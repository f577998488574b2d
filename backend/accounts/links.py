"""One-tap sign-in links for the volunteers' app.

Rules worth knowing:

- The token is random (`secrets.token_urlsafe`), bound to one user, and kept as an HMAC
  only (with SECRET_KEY): the database alone cannot make a working link.
- It works once and for MOBILE_LINK_HOURS hours (12 by default). Using it marks it used in
  the same transaction that looks it up with the row locked, so two taps at once make one
  sign-in.
- The link is `{APP_BASE_URL}/app/#link=<token>`: the token is in the fragment, so it never
  reaches a server's access log; the app posts it to /api/mobile/v1/auth/link/.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backend.accounts.models import SignInLink


def _hash(token: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"link:{token}".encode(),
                    hashlib.sha256).hexdigest()


def link_hours() -> float:
    return float(getattr(settings, "MOBILE_LINK_HOURS", 12))


def app_url(token: str) -> str:
    base = (getattr(settings, "APP_BASE_URL", "") or "http://127.0.0.1:8000").rstrip("/")
    return f"{base}/app/#link={token}"


def sign_in_link_issue(*, user, now: datetime.datetime | None = None) -> str:
    """A new link for the user (the whole URL); its token is kept hashed."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(24)
    SignInLink.objects.create(user=user, token_hash=_hash(token),
                              expires_at=now + datetime.timedelta(hours=link_hours()))
    return app_url(token)


def sign_in_link_use(*, token: str, now: datetime.datetime | None = None):
    """The user the token signs in, marking it used; None when it is unknown, used,
    expired or its user is inactive."""
    now = now or timezone.now()
    if not isinstance(token, str) or not 10 <= len(token) <= 100:
        return None
    with transaction.atomic():
        link = (SignInLink.objects.select_for_update().select_related("user")
                .filter(token_hash=_hash(token)).first())
        if link is None or link.used_at is not None or link.expires_at <= now:
            return None
        link.used_at = now
        link.save(update_fields=["used_at"])
    return link.user if link.user.is_active else None
