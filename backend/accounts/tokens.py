"""JSON web tokens for the two APIs: the staff API (/api/v1/) and the volunteers' app
(/api/mobile/v1/).

Rules worth knowing:

- Every token carries the claim `"api": "staff"` or `"api": "app"`. Each API authenticates
  and refreshes only its own tokens: an app token is refused by the staff API and back, so a
  volunteer's phone cannot be used to reach staff endpoints with its token, nor the reverse.
- A refresh token works once. Refreshing answers a new access AND a new refresh token and
  blacklists the one used (simplejwt's token_blacklist app); the same refresh token again is
  refused, also when two requests race with it (the blacklist row is unique).
- Refreshing needs a user who may still sign in: an active account (and, for the app, an
  active volunteer profile). Deactivating a user stops their tokens at the next refresh
  (access tokens: at once, the account is checked on every request).
- Every refusal is one answer, `auth.token_invalid` (401, translated): expired, tampered,
  blacklisted, for the other API, or for a user who may no longer sign in.
- The blacklist's expired rows go nightly (`accounts.flush_expired_tokens`).
"""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from backend.core.prepared import PreparedRead

API_CLAIM = "api"
STAFF = "staff"
APP = "app"


class TokenInvalid(exceptions.AuthenticationFailed):
    default_detail = _("Your sign-in has expired or is no longer valid. Please sign in again.")
    default_code = "auth.token_invalid"


class TokenEndpointMixin:
    """For views that take a token in the body and have no authenticators: a refused token
    answers 401 with WWW-Authenticate (DRF would make it 403 without an authenticator)."""

    def get_authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class _ApiClaim:
    """Puts this API's name in new tokens and refuses tokens that carry another one."""

    api = ""
    payload: dict

    def __init__(self, token=None, verify: bool = True) -> None:
        super().__init__(token, verify)  # type: ignore[call-arg]
        if token is None:
            self.payload[API_CLAIM] = self.api

    def verify(self) -> None:
        # Checked before the rest: a foreign token is refused without a database look-up.
        if self.payload.get(API_CLAIM) != self.api:
            raise TokenError("token for another API")
        super().verify()  # type: ignore[misc]


class StaffAccessToken(_ApiClaim, AccessToken):
    api = STAFF


class StaffRefreshToken(_ApiClaim, RefreshToken):
    api = STAFF
    access_token_class = StaffAccessToken


class AppAccessToken(_ApiClaim, AccessToken):
    api = APP


class AppRefreshToken(_ApiClaim, RefreshToken):
    api = APP
    access_token_class = AppAccessToken


def tokens_issue(*, user, token_class: type[RefreshToken]) -> dict[str, str]:
    """A new pair for a user who has just proved who they are."""
    refresh = token_class.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_refresh(*, raw: str, token_class: type[RefreshToken],
                  may_sign_in: Callable[[object], bool] | None = None) -> dict[str, str]:
    """Trade a refresh token for a new pair and blacklist it, in one transaction.

    Refused (`auth.token_invalid`) when the token is not valid for this API, was used or
    signed out already, was never issued here, or its user may no longer sign in
    (inactive, or `may_sign_in(user)` says no).
    """
    try:
        refresh = token_class(raw)
    except TokenError:
        raise TokenInvalid() from None
    user = (get_user_model().objects
            .filter(**{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)},
                    is_active=True)
            .first())
    if user is None or (may_sign_in is not None and not may_sign_in(user)):
        raise TokenInvalid()
    with transaction.atomic():
        _blacklist(refresh)
        return tokens_issue(user=user, token_class=token_class)


def token_revoke(*, raw: str, token_class: type[RefreshToken]) -> None:
    """Sign out: the refresh token can no longer be used. Refused like a refresh when the
    token is not a valid one of this API (so a stranger learns nothing either way)."""
    try:
        refresh = token_class(raw)
    except TokenError:
        raise TokenInvalid() from None
    with transaction.atomic():
        _blacklist(refresh)


def _blacklist(refresh: RefreshToken) -> None:
    outstanding = (OutstandingToken.objects.select_for_update()
                   .filter(jti=refresh[api_settings.JTI_CLAIM]).first())
    if outstanding is None:
        raise TokenInvalid()  # signed with our key, but never handed out
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise TokenInvalid() from None  # used a moment ago by a concurrent request


class _ApiJWTAuthentication(JWTAuthentication):
    """Bearer access tokens of one API; every refusal answers `auth.token_invalid`.

    The token's user is read in one query, with what every request of the API then reads of
    them (`load_user`), so the permission check and the branch zone need no query of their
    own."""

    token_class: type[AccessToken] = AccessToken

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except TokenInvalid:
            raise
        except exceptions.AuthenticationFailed:
            # A malformed header, a user gone or deactivated: the same answer.
            raise TokenInvalid() from None

    def get_validated_token(self, raw_token):
        try:
            return self.token_class(raw_token)
        except TokenError:
            raise TokenInvalid() from None

    def get_user(self, validated_token):
        # simplejwt's checks (a user named, found, active, the password unchanged when
        # CHECK_REVOKE_TOKEN is on) with this API's own read of the user.
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        user = None if user_id is None else self.load_user(user_id)
        if user is None or (api_settings.CHECK_USER_IS_ACTIVE and not user.is_active):
            raise TokenInvalid()
        if api_settings.CHECK_REVOKE_TOKEN and (
                validated_token.get(api_settings.REVOKE_TOKEN_CLAIM)
                != get_md5_hash_password(user.password)):
            raise TokenInvalid()
        return user

    def load_user(self, user_id):
        """The user the token names, or None."""
        return _one(self.user_model._default_manager.all(), user_id)


class StaffJWTAuthentication(_ApiJWTAuthentication):
    token_class = StaffAccessToken

    def load_user(self, user_id):
        # The user with their role names (backend.core.roles.user_roles), which every staff
        # endpoint checks: a row per group, the user's columns repeated.
        rows = _STAFF_USER.rows(user_id=_as_id(user_id))
        if not rows:
            return None
        user = rows[0]
        user._kniga_roles = frozenset(row.role_name for row in rows if row.role_name is not None)
        return user


class AppJWTAuthentication(_ApiJWTAuthentication):
    token_class = AppAccessToken

    def load_user(self, user_id):
        # With the volunteer profile and its home branch (None when there is none), which
        # mobile_api.permissions.IsVolunteer and the branch zone read.
        found = _APP_USER.rows(user_id=_as_id(user_id))
        return found[0] if found else None


def _as_id(user_id):
    """The claim (simplejwt writes the id as text) as the number the id column takes, as the
    ORM would make it; anything else as it is, for the queryset to say what it makes of it."""
    if isinstance(user_id, str) and user_id.isascii() and user_id.isdigit():
        return int(user_id)
    return user_id


# Read on every request of each API: their SQL built once (backend.core.prepared).
_STAFF_USER = PreparedRead(
    lambda user_id: get_user_model()._default_manager
    .filter(**{api_settings.USER_ID_FIELD: user_id}).annotate(role_name=F("groups__name"))
    .order_by(),
    "user_id")
_APP_USER = PreparedRead(
    lambda user_id: get_user_model()._default_manager.select_related("volunteer__branch")
    .filter(**{api_settings.USER_ID_FIELD: user_id}).order_by(),
    "user_id")


def _one(users, user_id):
    # `.get()` rather than `.first()`: no ORDER BY to build for one row by its key.
    try:
        return users.get(**{api_settings.USER_ID_FIELD: user_id})
    except users.model.DoesNotExist:
        return None


# The OpenAPI schema's bearer schemes: one per API, since each takes only its own tokens.
class StaffJWTScheme(SimpleJWTScheme):
    target_class = StaffJWTAuthentication
    name = "jwtAuth"


class AppJWTScheme(SimpleJWTScheme):
    target_class = AppJWTAuthentication
    name = "appJwtAuth"
