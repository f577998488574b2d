"""Tokens of the two APIs: a refresh token works once, each API refuses the other's tokens,
a deactivated user or volunteer cannot refresh, and every refusal is one translated answer."""
import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from backend.accounts.tasks import flush_expired_tokens_task
from tests.factories import UserFactory
from tests.mobile_api.conftest import PASSWORD, make_volunteer
from tests.openapi import assert_documented

STAFF_TOKEN = "/api/v1/auth/token/"
STAFF_REFRESH = "/api/v1/auth/token/refresh/"
STAFF_ME = "/api/v1/auth/me/"
APP_TOKEN = "/api/mobile/v1/auth/token/"
APP_REFRESH = "/api/mobile/v1/auth/refresh/"
APP_SIGN_OUT = "/api/mobile/v1/auth/sign-out/"
APP_ME = "/api/mobile/v1/me/"

INVALID = {
    "en": "Your sign-in has expired or is no longer valid. Please sign in again.",
    "ru": "Срок входа истёк или вход больше не действителен. Войдите снова.",
    "kk": "Кіру мерзімі өтті немесе кіру енді жарамсыз. Қайта кіріңіз.",
}


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def api(language: str = "en") -> APIClient:
    return APIClient(HTTP_ACCEPT_LANGUAGE=language)


def refused(response, language: str = "en") -> bool:
    return (response.status_code == 401
            and response.json() == {"code": "auth.token_invalid", "message": INVALID[language],
                                    "fields": {}})


def staff_tokens(username: str = "alma") -> dict[str, str]:
    UserFactory(username=username, role="librarian", password=PASSWORD)
    response = api().post(STAFF_TOKEN, {"username": username, "password": PASSWORD},
                          format="json")
    assert response.status_code == 200, response.content
    return response.json()


def app_tokens(volunteer) -> dict[str, str]:
    response = api().post(APP_TOKEN, {"phone": str(volunteer.user.phone),
                                      "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def bearer(token: str) -> APIClient:
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


# A refresh token works once ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_staff_refresh_token_works_once_and_its_successor_works():
    first = staff_tokens()["refresh"]
    rotated = api().post(STAFF_REFRESH, {"refresh": first}, format="json")
    assert rotated.status_code == 200
    assert set(rotated.json()) == {"access", "refresh"}
    assert rotated.json()["refresh"] != first
    assert_documented(rotated, "post", STAFF_REFRESH)

    again = api().post(STAFF_REFRESH, {"refresh": first}, format="json")
    assert refused(again)
    assert_documented(again, "post", STAFF_REFRESH)
    assert bearer(rotated.json()["access"]).get(STAFF_ME).json()["username"] == "alma"
    successor = api().post(STAFF_REFRESH, {"refresh": rotated.json()["refresh"]},
                           format="json")
    assert successor.status_code == 200


@pytest.mark.django_db
def test_an_app_refresh_token_works_once():
    volunteer = make_volunteer()
    first = app_tokens(volunteer)["refresh"]
    rotated = api().post(APP_REFRESH, {"refresh": first}, format="json")
    assert rotated.status_code == 200 and set(rotated.json()) == {"access", "refresh"}
    assert_documented(rotated, "post", APP_REFRESH)
    assert refused(api().post(APP_REFRESH, {"refresh": first}, format="json"))
    assert bearer(rotated.json()["access"]).get(APP_ME).status_code == 200
    assert BlacklistedToken.objects.filter(token__token=first).exists()


# Each API its own tokens ----------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_tokens_are_refused_by_the_other_api():
    volunteer = make_volunteer()
    staff = staff_tokens()["refresh"]
    app = app_tokens(volunteer)["refresh"]
    assert refused(api().post(APP_REFRESH, {"refresh": staff}, format="json"))
    assert refused(api().post(STAFF_REFRESH, {"refresh": app}, format="json"))
    # Refused, not spent: each still works where it belongs.
    assert api().post(STAFF_REFRESH, {"refresh": staff}, format="json").status_code == 200
    assert api().post(APP_REFRESH, {"refresh": app}, format="json").status_code == 200


@pytest.mark.django_db
def test_access_tokens_are_refused_by_the_other_api():
    volunteer = make_volunteer()
    # The volunteer signs in to both: each API answers with its own token only.
    staff_volunteer = api().post(STAFF_TOKEN, {"username": volunteer.user.username,
                                               "password": PASSWORD}, format="json").json()
    app = app_tokens(volunteer)
    assert bearer(app["access"]).get(APP_ME).status_code == 200
    assert bearer(staff_volunteer["access"]).get(STAFF_ME).status_code == 200
    assert refused(bearer(app["access"]).get(STAFF_ME))
    assert refused(bearer(staff_volunteer["access"]).get(APP_ME))
    librarian = staff_tokens()["access"]
    assert refused(bearer(librarian).get(APP_ME))


@pytest.mark.django_db
def test_a_token_without_the_api_claim_is_refused_by_both():
    """Tokens made before the claim existed (or by anything else with the key) are no one's."""
    volunteer = make_volunteer()
    plain = RefreshToken.for_user(volunteer.user)
    assert refused(bearer(str(plain.access_token)).get(STAFF_ME))
    assert refused(bearer(str(plain.access_token)).get(APP_ME))
    assert refused(api().post(STAFF_REFRESH, {"refresh": str(plain)}, format="json"))
    assert refused(api().post(APP_REFRESH, {"refresh": str(plain)}, format="json"))


# Deactivated users ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_deactivated_volunteer_cannot_refresh():
    volunteer = make_volunteer()
    refresh = app_tokens(volunteer)["refresh"]
    volunteer.active = False
    volunteer.save(update_fields=["active"])
    assert refused(api().post(APP_REFRESH, {"refresh": refresh}, format="json"))


@pytest.mark.django_db
def test_a_deactivated_account_cannot_refresh_or_use_its_access_token():
    volunteer = make_volunteer()
    app = app_tokens(volunteer)
    staff = staff_tokens()
    for user in (volunteer.user, UserFactory._meta.model.objects.get(username="alma")):
        user.is_active = False
        user.save(update_fields=["is_active"])
    assert refused(api().post(APP_REFRESH, {"refresh": app["refresh"]}, format="json"))
    assert refused(api().post(STAFF_REFRESH, {"refresh": staff["refresh"]}, format="json"))
    assert refused(bearer(app["access"]).get(APP_ME))
    assert refused(bearer(staff["access"]).get(STAFF_ME))


# Signing out, the nightly flush, the admin -----------------------------------------------------


@pytest.mark.django_db
def test_signing_out_of_the_app_ends_the_refresh_token():
    volunteer = make_volunteer()
    refresh = app_tokens(volunteer)["refresh"]
    out = api().post(APP_SIGN_OUT, {"refresh": refresh}, format="json")
    assert out.status_code == 204
    assert_documented(out, "post", APP_SIGN_OUT)
    assert refused(api().post(APP_REFRESH, {"refresh": refresh}, format="json"))
    assert refused(api().post(APP_SIGN_OUT, {"refresh": refresh}, format="json"))
    missing = api().post(APP_SIGN_OUT, {}, format="json")
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["refresh"]


@pytest.mark.django_db
def test_the_nightly_flush_drops_expired_tokens_only():
    volunteer = make_volunteer()
    app_tokens(volunteer)
    expired = app_tokens(volunteer)["refresh"]
    api().post(APP_SIGN_OUT, {"refresh": expired}, format="json")
    OutstandingToken.objects.filter(token=expired).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    flush_expired_tokens_task()
    assert OutstandingToken.objects.count() == 1
    assert not BlacklistedToken.objects.exists()


@pytest.mark.django_db
def test_the_token_tables_are_not_in_the_admin(client):
    """They hold every refresh token handed out; not even a superuser browses them."""
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for model in ("outstandingtoken", "blacklistedtoken"):
        assert client.get(f"/admin/token_blacklist/{model}/").status_code == 404
    assert "token_blacklist" not in client.get("/admin/").content.decode()


# One translated answer ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_an_invalid_token_answers_a_translated_message_with_a_stable_code(language):
    client = api(language)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused(client.get(STAFF_ME), language)
    assert refused(client.get(APP_ME), language)
    assert refused(api(language).post(STAFF_REFRESH, {"refresh": "x.y.z"}, format="json"),
                   language)
    assert refused(api(language).post(APP_REFRESH, {"refresh": "x.y.z"}, format="json"),
                   language)
    # A malformed header is refused the same way, not with a Python repr.
    client.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert refused(client.get(STAFF_ME), language)
