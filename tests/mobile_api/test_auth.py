"""Signing in by password and by SMS code; throttles, lockout, and saying nothing about
which phones exist."""
import datetime
import json
import re
from io import BytesIO

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db.models import F
from django.utils import timezone

from backend.notifications.models import Message
from mobile_api.models import SignInCode
from tests.factories import UserFactory
from tests.mobile_api.conftest import PASSWORD, app_for, ask_for_code, make_volunteer
from tests.openapi import assert_documented

TOKEN = "/api/mobile/v1/auth/token/"
REFRESH = "/api/mobile/v1/auth/refresh/"
OTP_REQUEST = "/api/mobile/v1/auth/otp/request/"
OTP_VERIFY = "/api/mobile/v1/auth/otp/verify/"


def national(phone: str) -> str:
    """+77051234567 -> 8 705 123 45 67, as a volunteer types it."""
    d = phone[2:]
    return f"8 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}"


def test_password_sign_in_with_the_phone_in_any_form(api, volunteer):
    for phone in (str(volunteer.user.phone), national(str(volunteer.user.phone))):
        response = api.post(TOKEN, {"phone": phone, "password": PASSWORD}, format="json")
        assert response.status_code == 200, response.content
        tokens = response.json()
        assert set(tokens) == {"access", "refresh"}
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/mobile/v1/me/").json()["id"] == volunteer.pk
    refreshed = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200 and refreshed.json()["access"]


def test_unknown_phone_and_wrong_password_answer_identically(api, volunteer):
    wrong = api.post(TOKEN, {"phone": str(volunteer.user.phone), "password": "nope-nope-1"},
                     format="json")
    unknown = api.post(TOKEN, {"phone": "+77079998877", "password": "nope-nope-1"},
                       format="json")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "auth.invalid_credentials"


def test_staff_cannot_sign_in_here_and_get_403_with_a_token(api, make_user):
    staff = make_user("coordinator", phone="+77010001122")
    response = api.post(TOKEN, {"phone": "+77010001122", "password": PASSWORD}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.invalid_credentials"
    assert app_for(staff).get("/api/mobile/v1/me/").status_code == 403


def test_inactive_volunteer_cannot_sign_in(api):
    volunteer = make_volunteer(active=False)
    response = api.post(TOKEN, {"phone": str(volunteer.user.phone), "password": PASSWORD},
                        format="json")
    assert response.status_code == 401


def test_lockout_after_repeated_wrong_passwords(api, volunteer, settings):
    settings.MOBILE_LOCKOUT_FAILURES = 5
    settings.MOBILE_LOCKOUT_MINUTES = 15
    phone = str(volunteer.user.phone)
    for _ in range(5):
        response = api.post(TOKEN, {"phone": phone, "password": "wrong-wrong-1"}, format="json")
        assert response.status_code == 401
    locked = api.post(TOKEN, {"phone": national(phone), "password": PASSWORD}, format="json")
    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.locked"
    assert 0 < int(locked["Retry-After"]) <= 15 * 60
    # An unknown phone is locked the same way: the lock says nothing about who exists.
    for _ in range(5):
        api.post(TOKEN, {"phone": "+77079998877", "password": "x"}, format="json")
    other = api.post(TOKEN, {"phone": "+77079998877", "password": "x"}, format="json")
    assert other.status_code == 429 and other.json()["code"] == "auth.locked"
    # The code sign-in is locked too.
    assert api.post(OTP_VERIFY, {"phone": phone, "code": "000000"},
                    format="json").status_code == 429


def test_lock_ends_after_its_time(api, volunteer, settings):
    from backend.accounts.models import SignInLock

    settings.MOBILE_LOCKOUT_FAILURES = 2
    phone = str(volunteer.user.phone)
    for _ in range(2):
        api.post(TOKEN, {"phone": phone, "password": "wrong-wrong-1"}, format="json")
    assert api.post(TOKEN, {"phone": phone, "password": PASSWORD},
                    format="json").status_code == 429
    SignInLock.objects.update(locked_until=timezone.now() - datetime.timedelta(seconds=1))
    assert api.post(TOKEN, {"phone": phone, "password": PASSWORD},
                    format="json").status_code == 200
    assert not SignInLock.objects.exists()


def test_throttled_by_phone(api, volunteer, settings):
    settings.MOBILE_AUTH_RATE_PHONE = "3/min"
    phone = str(volunteer.user.phone)
    codes = [api.post(TOKEN, {"phone": phone, "password": PASSWORD}, format="json").status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert api.post(TOKEN, {"phone": phone, "password": PASSWORD},
                    format="json").json()["code"] == "throttled"


def test_throttled_by_address(api, volunteer, settings):
    settings.MOBILE_AUTH_RATE_IP = "2/min"
    codes = [api.post(OTP_REQUEST, {"phone": f"+7707000000{n}"}, format="json").status_code
             for n in range(3)]
    assert codes == [200, 200, 429]


def sent_code(phone: str) -> str:
    message = Message.objects.filter(to=phone, template="sign_in_code").order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def test_sign_in_by_sms_code(api, volunteer):
    phone = str(volunteer.user.phone)
    volunteer.user.language = "kk"
    volunteer.user.save()
    answer = ask_for_code(api, national(phone))
    assert answer.status_code == 200
    message = Message.objects.get(to=phone)
    assert message.language == "kk"
    record = SignInCode.objects.get(phone=phone)
    assert sent_code(phone) not in record.code_hash  # kept hashed only
    assert record.expires_at - timezone.now() <= datetime.timedelta(minutes=5)
    response = api.post(OTP_VERIFY, {"phone": phone, "code": sent_code(phone)}, format="json")
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"access", "refresh"}
    # A code is good once.
    again = api.post(OTP_VERIFY, {"phone": phone, "code": sent_code(phone)}, format="json")
    assert again.status_code == 401 and again.json()["code"] == "auth.invalid_code"


def test_code_request_answers_the_same_for_an_unknown_phone(api, volunteer):
    known = ask_for_code(api, str(volunteer.user.phone))
    unknown = ask_for_code(api, "+77079998877")
    junk = ask_for_code(api, "12")
    assert known.status_code == unknown.status_code == junk.status_code == 200
    assert known.json() == unknown.json() == junk.json()
    assert Message.objects.count() == 1


def test_wrong_and_expired_codes(api, volunteer, settings):
    settings.MOBILE_OTP_ATTEMPTS = 3
    settings.MOBILE_LOCKOUT_FAILURES = 100
    settings.MOBILE_OTP_PER_MINUTE = 10
    phone = str(volunteer.user.phone)
    ask_for_code(api, phone)
    code = sent_code(phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        response = api.post(OTP_VERIFY, {"phone": phone, "code": wrong}, format="json")
        assert response.json()["code"] == "auth.invalid_code"
    # Out of attempts: even the right code is refused now.
    assert api.post(OTP_VERIFY, {"phone": phone, "code": code},
                    format="json").status_code == 401
    ask_for_code(api, phone)
    SignInCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api.post(OTP_VERIFY, {"phone": phone, "code": sent_code(phone)},
                    format="json").status_code == 401
    unknown = api.post(OTP_VERIFY, {"phone": "+77079998877", "code": "123456"}, format="json")
    assert unknown.status_code == 401 and unknown.json()["code"] == "auth.invalid_code"


@pytest.mark.parametrize("language, word", [("ru", "Слишком"), ("kk", "")])
def test_errors_are_translated(api, volunteer, settings, language, word):
    settings.MOBILE_LOCKOUT_FAILURES = 1
    phone = str(volunteer.user.phone)
    api.post(TOKEN, {"phone": phone, "password": "bad"}, format="json")
    body = api.post(TOKEN, {"phone": phone, "password": "bad"}, format="json",
                    HTTP_ACCEPT_LANGUAGE=language).json()
    assert body["code"] == "auth.locked"
    assert word in body["message"]
    assert "Too many" not in body["message"]


def test_no_token_is_401_and_staff_token_is_403(api, make_user):
    assert api.get("/api/mobile/v1/me/").status_code == 401
    user = UserFactory(role="librarian")
    assert app_for(user).get("/api/mobile/v1/me/routes/").status_code == 403


def test_refused_sign_ins_answer_the_documented_error(api, volunteer, settings):
    settings.MOBILE_LOCKOUT_FAILURES = 1
    phone = str(volunteer.user.phone)
    wrong = api.post(TOKEN, {"phone": phone, "password": "nope-nope-1"}, format="json")
    assert wrong.status_code == 401
    assert_documented(wrong, "post", TOKEN)
    locked = api.post(TOKEN, {"phone": phone, "password": "nope-nope-1"}, format="json")
    assert locked.status_code == 429
    assert_documented(locked, "post", TOKEN)
    bad_code = api.post(OTP_VERIFY, {"phone": "+77079998877", "code": "123456"}, format="json")
    assert bad_code.status_code == 401
    assert_documented(bad_code, "post", OTP_VERIFY)


def test_code_requests_do_the_same_work_for_known_and_unknown_phones(api, volunteer):
    """Both keep a hashed code and answer alike; only the volunteer's phone gets the SMS
    (sent by the job queued after commit, in a worker)."""
    known_phone, unknown_phone = str(volunteer.user.phone), "+77079998877"
    known = ask_for_code(api, known_phone)
    unknown = ask_for_code(api, unknown_phone)
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert dict(known.headers).keys() == dict(unknown.headers).keys()
    assert SignInCode.objects.filter(phone=known_phone, user=volunteer.user).count() == 1
    assert SignInCode.objects.filter(phone=unknown_phone, user=None).count() == 1
    assert list(Message.objects.values_list("to", flat=True)) == [known_phone]
    # The kept code of an unknown phone signs nobody in.
    refused = api.post(OTP_VERIFY, {"phone": unknown_phone, "code": "123456"}, format="json")
    assert refused.json()["code"] == "auth.invalid_code"


@pytest.mark.parametrize("which", ["known", "unknown"])
def test_one_code_a_minute_per_phone(api, volunteer, which):
    phone = str(volunteer.user.phone) if which == "known" else "+77079998877"
    assert ask_for_code(api, phone).status_code == 200
    again = ask_for_code(api, national(phone), HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 429
    assert again.json()["code"] == "auth.code_rate_limited"
    assert again.json()["message"] == ("A code was asked for this number a moment ago. "
                                       "Try again in 1 minute.")
    assert 1 <= int(again["Retry-After"]) <= 60
    assert_documented(again, "post", OTP_REQUEST)
    # Another phone is not held up by this one.
    assert ask_for_code(api, "+77079998866").status_code == 200
    SignInCode.objects.filter(phone=phone).update(
        created_at=timezone.now() - datetime.timedelta(seconds=61))
    assert ask_for_code(api, phone).status_code == 200


@pytest.mark.parametrize("which", ["known", "unknown"])
def test_five_codes_an_hour_per_phone(api, volunteer, which):
    phone = str(volunteer.user.phone) if which == "known" else "+77079998877"
    for _ in range(5):
        assert ask_for_code(api, phone).status_code == 200
        SignInCode.objects.filter(phone=phone).update(
            created_at=F("created_at") - datetime.timedelta(minutes=2))
    sixth = ask_for_code(api, phone, HTTP_ACCEPT_LANGUAGE="ru")
    assert sixth.status_code == 429 and sixth.json()["code"] == "auth.code_rate_limited"
    assert "Код для этого номера только что запрашивали" in sixth.json()["message"]
    # The oldest of the five (10 minutes ago) leaves the hour in 50 minutes.
    assert 49 * 60 <= int(sixth["Retry-After"]) <= 50 * 60


def test_code_limits_come_from_settings(api, volunteer, settings):
    settings.MOBILE_OTP_PER_MINUTE = 2
    settings.MOBILE_OTP_PER_HOUR = 2
    phone = str(volunteer.user.phone)
    assert [ask_for_code(api, phone).status_code for _ in range(3)] == [200, 200, 429]
    assert len(Message.objects.filter(to=phone)) == 2



@pytest.mark.django_db(transaction=True)
def test_without_a_worker_the_code_is_sent_after_the_answer(volunteer):
    """With no worker (tasks run in the process), the SMS of a volunteer's phone goes out
    once the server has sent the answer, so it does not make that answer slower than an
    unknown phone's. Served by Django's own WSGI handler with real commits, as a server is."""
    phone = str(volunteer.user.phone)
    body = json.dumps({"phone": phone}).encode()
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/mobile/v1/auth/otp/request/",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(body), "REMOTE_ADDR": "127.0.0.1",
    }
    started = []
    response = WSGIHandler()(environ, lambda status, headers: started.append(status))
    assert started == ["200 OK"]
    assert json.loads(b"".join(response))["expires_in"] == 300
    assert SignInCode.objects.filter(phone=phone).count() == 1
    assert Message.objects.count() == 0  # the answer is out; the SMS is not yet
    response.close()  # what the server does once the bytes are sent
    assert list(Message.objects.values_list("to", flat=True)) == [phone]
