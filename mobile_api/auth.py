"""Signing volunteers in: by phone and password, or by a one-time SMS code.

Rules worth knowing:

- Only an active user with an active volunteer profile signs in here; staff use the staff API.
- The answer never says whether a phone exists: an unknown phone, a wrong password, a user
  who is not a volunteer all answer `auth.invalid_credentials` (401) with the same message,
  and a code request always answers the same 200.
- Failures are counted per phone (known or not) in the database: after
  MOBILE_LOCKOUT_FAILURES failures within MOBILE_LOCKOUT_MINUTES the phone is locked for
  MOBILE_LOCKOUT_MINUTES (`auth.locked`, 429, with Retry-After). A success clears the count.
- A one-tap link (from the "your route is published" SMS, backend/accounts/links.py) works
  once, for MOBILE_LINK_HOURS, for its own volunteer only; any refusal is one answer,
  `auth.link_invalid` (401), and the app then asks for a code.
- A code has 6 digits, lives MOBILE_OTP_SECONDS, takes MOBILE_OTP_ATTEMPTS tries, is kept as
  an HMAC only, and a new code replaces the previous ones.
"""
from __future__ import annotations

import datetime
import hashlib
import hmac
import math
import secrets

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backend.accounts.lockout import lock_check, lock_clear, lock_fail
from backend.accounts.tokens import AppRefreshToken, token_refresh, token_revoke, tokens_issue
from backend.core.after_response import after_response
from backend.core.exceptions import ApplicationError
from backend.core.phones import digits_of, to_e164
from mobile_api.code_delivery import otp_deliver
from mobile_api.models import SignInCode
from mobile_api.tasks import sign_in_code_deliver_task

_DUMMY_PASSWORD = make_password(secrets.token_urlsafe(16))


def setting(name: str, default):
    return getattr(settings, name, default)


def otp_seconds() -> int:
    return int(setting("MOBILE_OTP_SECONDS", 300))


def normalize_phone(text: str) -> str:
    """E.164 when the text is a valid number, else its digits (still a stable lock key)."""
    return to_e164(text) or ("?" + digits_of(text))[:20]


def invalid_credentials() -> ApplicationError:
    return ApplicationError("auth.invalid_credentials",
                            _("Wrong phone number or password."), status_code=401)


def invalid_code() -> ApplicationError:
    return ApplicationError("auth.invalid_code",
                            _("The code is wrong or has expired. Ask for a new one."),
                            status_code=401)


# Who may sign in ----------------------------------------------------------------------------------


def volunteer_user(phone: str):
    """The active user with an active volunteer profile and this phone, or None."""
    from django.contrib.auth import get_user_model

    if not phone.startswith("+"):
        return None
    user = (get_user_model().objects.select_related("volunteer")
            .filter(phone=phone, is_active=True, volunteer__active=True).first())
    return user


def tokens_for(user) -> dict[str, str]:
    """A pair of the app's tokens: the staff API refuses them (backend/accounts/tokens.py)."""
    return tokens_issue(user=user, token_class=AppRefreshToken)


def _still_a_volunteer(user) -> bool:
    from backend.volunteers.models import Volunteer

    return Volunteer.objects.filter(user_id=user.pk, active=True).exists()


def refresh(*, refresh: str) -> dict[str, str]:
    """A new pair for a refresh token of the app, which then stops working. Refused
    (`auth.token_invalid`) once the user or their volunteer profile is deactivated."""
    return token_refresh(raw=refresh, token_class=AppRefreshToken,
                         may_sign_in=_still_a_volunteer)


def sign_out(*, refresh: str) -> None:
    """The refresh token stops working; the access token lapses within its short life."""
    token_revoke(raw=refresh, token_class=AppRefreshToken)


def password_sign_in(*, phone: str, password: str) -> dict[str, str]:
    phone = normalize_phone(phone)
    lock_check(phone)
    user = volunteer_user(phone)
    if user is None:
        # Spend the same time as a real check, so timing does not tell either.
        from django.contrib.auth.hashers import check_password

        check_password(password, _DUMMY_PASSWORD)
        ok = False
    else:
        ok = user.check_password(password)
    if not ok:
        lock_fail(phone)
        raise invalid_credentials()
    lock_clear(phone)
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return tokens_for(user)


# One-time codes -----------------------------------------------------------------------------------


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"{phone}:{code}".encode(),
                    hashlib.sha256).hexdigest()


class CodeRateLimited(ApplicationError):
    def __init__(self, seconds: int) -> None:
        minutes = max(1, math.ceil(seconds / 60))
        super().__init__("auth.code_rate_limited",
                         ngettext("A code was asked for this number a moment ago. "
                                  "Try again in %(minutes)d minute.",
                                  "A code was asked for this number a moment ago. "
                                  "Try again in %(minutes)d minutes.", minutes)
                         % {"minutes": minutes},
                         status_code=429)
        self.retry_after = max(1, seconds)


def _code_limit_check(phone: str, now: datetime.datetime) -> None:
    """At most MOBILE_OTP_PER_MINUTE codes a minute and MOBILE_OTP_PER_HOUR an hour for one
    phone; codes of unknown phones count the same, so the limit tells nothing."""
    for limit, window in ((int(setting("MOBILE_OTP_PER_MINUTE", 1)), 60),
                          (int(setting("MOBILE_OTP_PER_HOUR", 5)), 3600)):
        since = now - datetime.timedelta(seconds=window)
        recent = list(SignInCode.objects.filter(phone=phone, created_at__gt=since)
                      .order_by("-created_at").values_list("created_at", flat=True)[:limit])
        if limit > 0 and len(recent) >= limit:
            # The limit-th newest code leaves the window first and makes room for one more.
            raise CodeRateLimited(math.ceil((recent[-1] - since).total_seconds()))


def otp_request(*, phone: str) -> None:
    """Make a code for the phone and have it sent if the phone is an active volunteer's.

    Every phone costs the same here, known or not: the same look-up, a code made, hashed
    and kept, the same limit counted, and the same delivery job queued after commit (the
    job, in a worker, sends the SMS or drops the code of an unknown phone). So neither the
    answer nor its time says whether the number is a volunteer's.
    """
    phone = normalize_phone(phone)
    lock_check(phone)
    user = volunteer_user(phone)
    code = f"{secrets.randbelow(10 ** 6):06d}"
    now = timezone.now()
    with transaction.atomic():
        _code_limit_check(phone, now)
        SignInCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        record = SignInCode.objects.create(
            user=user, phone=phone, code_hash=_code_hash(phone, code),
            expires_at=now + datetime.timedelta(seconds=otp_seconds()),
        )
        transaction.on_commit(lambda: _deliver_later(record.pk, code))


def _deliver_later(record_id: int, code: str) -> None:
    from kombu.exceptions import OperationalError as BrokerError

    def deliver() -> None:
        otp_deliver(record_id=record_id, code=code)

    if sign_in_code_deliver_task.app.conf.task_always_eager:
        # No worker: the job would run inside the request and make a volunteer's phone
        # answer later than an unknown one. Send once the answer is out instead.
        after_response(deliver)
        return
    try:
        sign_in_code_deliver_task.delay(record_id, code)
    except BrokerError:
        # No broker: the volunteer still gets their code, once the answer is out.
        after_response(deliver)


def otp_verify(*, phone: str, code: str) -> dict[str, str]:
    phone = normalize_phone(phone)
    lock_check(phone)
    attempts = int(setting("MOBILE_OTP_ATTEMPTS", 5))
    code = digits_of(code)
    now = timezone.now()
    with transaction.atomic():
        record = (SignInCode.objects.select_for_update()
                  .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
                  .order_by("-id").first())
        ok = (record is not None and record.attempts < attempts and len(code) == 6
              and hmac.compare_digest(record.code_hash, _code_hash(phone, code))
              and record.user_id is not None)
        if record is not None and not ok:
            record.attempts += 1
            record.save(update_fields=["attempts"])
        if ok:
            record.used_at = now
            record.save(update_fields=["used_at"])
    user = volunteer_user(phone) if ok else None
    if user is None or user.pk != record.user_id:
        lock_fail(phone)
        raise invalid_code()
    lock_clear(phone)
    user.last_login = now
    user.save(update_fields=["last_login"])
    return tokens_for(user)


# One-tap links ------------------------------------------------------------------------------------


def link_invalid() -> ApplicationError:
    return ApplicationError("auth.link_invalid",
                            _("This sign-in link has been used or has expired. Ask for a code "
                              "instead."), status_code=401)


def link_sign_in(*, token: str) -> dict[str, str]:
    """Sign in with the token of a one-tap link: used, expired, unknown, or of a user who is
    no longer an active volunteer, it is refused the same way."""
    from backend.accounts.links import sign_in_link_use

    user = sign_in_link_use(token=token)
    if user is None or not _still_a_volunteer(user):
        raise link_invalid()
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return tokens_for(user)
