"""The one-tap sign-in link of the "your route is published" SMS: once, for a few hours,
for its own volunteer only; anything else asks for a code instead."""
import datetime
import re

import pytest
from django.test import override_settings
from django.utils import timezone

from backend.accounts.links import sign_in_link_issue
from backend.accounts.models import SignInLink
from tests.mobile_api.conftest import make_volunteer
from tests.openapi import assert_documented

LINK = "/api/mobile/v1/auth/link/"


def token_of(url: str) -> str:
    match = re.fullmatch(r"http://127\.0\.0\.1:8000/app/#link=([A-Za-z0-9_\-]+)", url)
    assert match, url
    return match.group(1)


def use(api, token):
    return api.post(LINK, {"token": token}, format="json")


def test_the_link_signs_the_volunteer_in_once(api, volunteer):
    token = token_of(sign_in_link_issue(user=volunteer.user))
    response = use(api, token)
    assert response.status_code == 200, response.content
    assert_documented(response, "post", LINK)
    tokens = response.json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/mobile/v1/me/").json()["id"] == volunteer.pk
    api.credentials()
    again = use(api, token)
    assert again.status_code == 401
    assert again.json()["code"] == "auth.link_invalid"
    assert_documented(again, "post", LINK)


def test_only_the_hash_is_kept(volunteer):
    token = token_of(sign_in_link_issue(user=volunteer.user))
    stored = SignInLink.objects.get()
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.user == volunteer.user


@override_settings(MOBILE_LINK_HOURS=12)
def test_an_expired_link_is_refused(api, volunteer):
    token = token_of(sign_in_link_issue(
        user=volunteer.user, now=timezone.now() - datetime.timedelta(hours=12, seconds=1)))
    assert use(api, token).json()["code"] == "auth.link_invalid"


def test_an_unknown_link_is_refused_the_same_way(api, volunteer):
    sign_in_link_issue(user=volunteer.user)
    response = api.post(LINK, {"token": "A" * 32}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401 and response.json()["code"] == "auth.link_invalid"
    assert "code" in response.json()["message"].lower()


@pytest.mark.parametrize("what", ["user", "volunteer"])
def test_a_link_of_an_inactive_volunteer_is_refused(api, db, what):
    volunteer = make_volunteer()
    token = token_of(sign_in_link_issue(user=volunteer.user))
    if what == "user":
        volunteer.user.is_active = False
        volunteer.user.save(update_fields=["is_active"])
    else:
        volunteer.active = False
        volunteer.save(update_fields=["active"])
    assert use(api, token).status_code == 401


@override_settings(APP_BASE_URL="https://kniga03.example.kz/")
def test_the_link_is_on_the_public_address(volunteer):
    url = sign_in_link_issue(user=volunteer.user)
    assert url.startswith("https://kniga03.example.kz/app/#link=")


def test_sign_in_by_link_is_throttled(api, volunteer, settings):
    settings.MOBILE_AUTH_RATE_IP = "3/min"
    codes = [use(api, "B" * 32).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
