"""Every staff sign-in counts failures and locks out: the sign-in page, the admin and the
staff API (the volunteers' app has its own tests in tests/mobile_api/test_auth.py). Staff
passwords follow the password rules; the pages refuse a POST without a CSRF token."""
import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from backend.accounts.models import SignInLock
from tests.openapi import assert_documented

PASSWORD = "correct-horse-battery"


@pytest.fixture
def librarian(make_user):
    return make_user("librarian", username="alma", is_staff=True)


@pytest.fixture(autouse=True)
def limits(settings):
    settings.STAFF_LOCKOUT_FAILURES = 3
    settings.STAFF_LOCKOUT_IP_FAILURES = 6
    settings.MOBILE_LOCKOUT_MINUTES = 15


def page_sign_in(client, username, password, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_page_locks_the_username_after_failures_even_with_the_right_password(
        librarian, url):
    client = Client()
    for _ in range(3):
        response = page_sign_in(client, "alma", "wrong-password", url)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = page_sign_in(client, "alma", PASSWORD, url)
    assert response.status_code == 200, "locked: the form is shown again, not a redirect"
    assert "_auth_user_id" not in client.session
    errors = response.context["form"].errors.as_data()["__all__"]
    assert [e.code for e in errors] == ["locked"]
    assert SignInLock.objects.get(key="staff:alma").failures == 3


def test_page_sign_in_works_and_clears_the_count(librarian):
    client = Client()
    page_sign_in(client, "alma", "wrong-password")
    assert SignInLock.objects.filter(key="staff:alma").exists()
    response = page_sign_in(client, "ALMA ", PASSWORD)  # Django's username is exact...
    assert "_auth_user_id" not in client.session  # ...so this is a failure, counted once more
    assert SignInLock.objects.get(key="staff:alma").failures == 2
    response = page_sign_in(client, "alma", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(librarian.pk)
    assert not SignInLock.objects.filter(key="staff:alma").exists()


def test_an_unknown_username_is_locked_the_same_way(db):
    client = Client()
    for _ in range(3):
        page_sign_in(client, "nobody", "whatever-password")
    response = page_sign_in(client, "nobody", "whatever-password")
    assert [e.code for e in response.context["form"].errors.as_data()["__all__"]] == ["locked"]


def test_one_address_trying_many_usernames_is_locked(make_user):
    make_user("operator", username="target")
    client = Client(REMOTE_ADDR="10.0.0.7")
    for n in range(6):
        page_sign_in(client, f"guess{n}", "wrong-password")
    response = page_sign_in(client, "target", PASSWORD)
    assert "_auth_user_id" not in client.session
    assert [e.code for e in response.context["form"].errors.as_data()["__all__"]] == ["locked"]
    # Another machine is not affected.
    other = Client(REMOTE_ADDR="10.0.0.8")
    assert page_sign_in(other, "target", PASSWORD).status_code == 302


def test_api_sign_in_locks_out_with_retry_after(librarian):
    client = APIClient()
    for _ in range(3):
        response = client.post("/api/v1/auth/token/", {"username": "alma",
                                                        "password": "wrong"}, format="json")
        assert response.status_code == 401
    response = client.post("/api/v1/auth/token/", {"username": "alma", "password": PASSWORD},
                           format="json")
    assert response.status_code == 429
    assert response.json()["code"] == "auth.locked"
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_api_sign_in_success_clears_the_count(librarian):
    client = APIClient()
    client.post("/api/v1/auth/token/", {"username": "alma", "password": "wrong"}, format="json")
    response = client.post("/api/v1/auth/token/", {"username": "alma", "password": PASSWORD},
                           format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert not SignInLock.objects.filter(key="staff:alma").exists()


def test_api_sign_in_with_a_malformed_body_is_400_not_counted(librarian):
    response = APIClient().post("/api/v1/auth/token/", {"username": ["alma"]}, format="json")
    assert response.status_code == 400
    assert not SignInLock.objects.filter(key="staff:alma").exists()


@pytest.mark.parametrize("password, code", [
    ("short1", "password_too_short"),
    ("1234567890123", "password_entirely_numeric"),
    ("password1234", "password_too_common"),
    ("alma-kniga-03", "password_too_similar"),
])
def test_staff_passwords_follow_the_rules(make_user, password, code):
    user = make_user("librarian", username="alma-kniga")
    with pytest.raises(ValidationError) as error:
        validate_password(password, user=user)
    assert code in [e.code for e in error.value.error_list]


def test_a_good_staff_password_passes(make_user):
    validate_password("Бишкуль-тихая-улица-7", user=make_user("librarian"))


def test_admin_refuses_to_set_a_weak_staff_password(make_user):
    admin = make_user(username="root", is_staff=True, is_superuser=True)
    target = make_user("operator", username="oper")
    client = Client()
    client.force_login(admin)
    response = client.post(f"/admin/accounts/user/{target.pk}/password/",
                           {"password1": "12345", "password2": "12345"})
    assert response.status_code == 200  # the form again, with the errors
    target.refresh_from_db()
    assert target.check_password(PASSWORD)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_sign_in_pages_refuse_a_post_without_csrf_token(librarian, url):
    client = Client(enforce_csrf_checks=True)
    response = page_sign_in(client, "alma", PASSWORD, url)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_desk_pages_refuse_a_post_without_csrf_token(make_user):
    from tests.factories import ReaderFactory

    reader = ReaderFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("operator"))
    response = client.post(f"/desk/readers/{reader.pk}/order/", {"titles": []})
    assert response.status_code == 403
    assert not reader.orders.exists()


def test_behind_nginx_the_address_comes_from_x_forwarded_for(make_user, settings):
    """NUM_PROXIES=1: the address nginx saw, the rightmost in X-Forwarded-For; what the
    client wrote in the header itself does not count."""
    settings.NUM_PROXIES = 1
    make_user("operator", username="target")
    for n in range(6):
        Client(REMOTE_ADDR="127.0.0.1",
               HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 10.0.0.7").post(
            "/accounts/login/", {"username": f"guess{n}", "password": "wrong-password"})
    assert SignInLock.objects.get(key="staff-ip:10.0.0.7").locked_until is not None
    # Another client behind the same nginx still signs in.
    other = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.8")
    assert page_sign_in(other, "target", PASSWORD).status_code == 302


def test_without_proxies_x_forwarded_for_is_ignored(make_user, settings):
    settings.NUM_PROXIES = 0
    for n in range(6):
        Client(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}").post(
            "/accounts/login/", {"username": f"guess{n}", "password": "wrong-password"})
    assert SignInLock.objects.get(key="staff-ip:10.0.0.9").locked_until is not None
    assert not SignInLock.objects.filter(key__startswith="staff-ip:1.2.3.").exists()


def test_api_sign_in_and_refresh_answer_what_the_schema_documents(librarian):
    api = APIClient()
    signed_in = api.post("/api/v1/auth/token/", {"username": "alma", "password": PASSWORD},
                         format="json")
    assert signed_in.status_code == 200
    assert_documented(signed_in, "post", "/api/v1/auth/token/")
    refresh = "/api/v1/auth/token/refresh/"
    refreshed = api.post(refresh, {"refresh": signed_in.json()["refresh"]}, format="json")
    assert refreshed.status_code == 200 and refreshed.json()["access"]
    assert_documented(refreshed, "post", refresh)
    junk = api.post(refresh, {"refresh": "not-a-token"}, format="json")
    assert junk.status_code == 401
    assert_documented(junk, "post", refresh)
    missing = api.post(refresh, {}, format="json")
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["refresh"]
    assert_documented(missing, "post", refresh)


@pytest.mark.parametrize("url", [
    "/accounts/password_reset/", "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/", "/accounts/reset/done/",
])
def test_there_is_no_password_reset_by_mail(db, mailoutbox, url):
    """No mail is configured: a librarian or the administrator sets staff passwords."""
    client = Client()
    assert client.get(url).status_code == 404
    assert client.post(url, {"email": "alma@example.org"}).status_code == 404
    assert mailoutbox == []


def test_the_sign_in_page_says_who_resets_a_password(db):
    page = Client(HTTP_ACCEPT_LANGUAGE="kk").get("/accounts/login/").content.decode()
    assert "Жаңа құпиясөзді кітапханашы немесе әкімші орнатады" in page
    assert "password_reset" not in page


def test_sign_out_and_password_change_still_work(librarian):
    client = Client()
    assert page_sign_in(client, "alma", PASSWORD).status_code == 302
    assert client.get("/accounts/password_change/").status_code == 200
    changed = client.post("/accounts/password_change/", {
        "old_password": PASSWORD, "new_password1": "a-longer-passphrase-2027",
        "new_password2": "a-longer-passphrase-2027"})
    assert changed.status_code == 302 and changed["Location"] == "/accounts/password_change/done/"
    assert client.get("/accounts/password_change/done/").status_code == 200
    out = client.post("/accounts/logout/")
    assert out.status_code == 302
    assert client.get("/accounts/password_change/").status_code == 302  # signed out
    assert page_sign_in(Client(), "alma", "a-longer-passphrase-2027").status_code == 302
