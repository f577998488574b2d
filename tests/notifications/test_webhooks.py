"""Twilio's webhooks: signatures, replies (1 / 2 / STOP / anything), statuses, calls; and
the operator inbox and call pops they feed."""
import datetime
from urllib.parse import urlencode

import pytest
from rest_framework.test import APIClient
from twilio.request_validator import RequestValidator

from backend.notifications.models import InboundSms, InboxItem, Message, PhoneOptOut
from backend.notifications.sending import messages_send_due
from backend.notifications.services import message_enqueue
from backend.orders.models import OrderEvent
from backend.readers.models import CardChange, Reader, ReaderPhone
from tests.notifications.conftest import reader_with_phone, scheduled_order

pytestmark = pytest.mark.urls("tests.notifications.urls")

TOKEN = "webhook-test-token"
PHONE = "+77015550101"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    settings.DESK_PHONE_NUMBER = "+77172555000"
    settings.MESSAGE_BACKEND = "console"


def sign(url: str, params: dict, token: str = TOKEN) -> str:
    """The signature Twilio puts on its request: HMAC-SHA1 of the URL and sorted params."""
    return RequestValidator(token).compute_signature(url, params)


def post(path: str, params: dict, *, signature: str | None = "auto", url: str | None = None):
    client = APIClient()
    headers = {}
    if signature == "auto":
        signature = sign(url or f"http://testserver{path}", params)
    if signature is not None:
        headers["HTTP_X_TWILIO_SIGNATURE"] = signature
    return client.post(path, urlencode(params),
                       content_type="application/x-www-form-urlencoded", **headers)


def sms(body: str, sid: str = "SM0001", phone: str = PHONE) -> dict:
    return {"MessageSid": sid, "From": phone, "To": "+77172000000", "Body": body}


@pytest.fixture
def reader(branch):
    return reader_with_phone(branch, phone=PHONE)


@pytest.fixture
def order(reader):
    order = scheduled_order(reader, datetime.date.today() + datetime.timedelta(days=3))
    message_enqueue(event_key="told", template="order_confirmed", to=PHONE, text="...",
                    reader=reader, order=order)
    return order


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl",
                                       "wrong-token"])
def test_unsigned_or_badly_signed_sms_is_refused_and_changes_nothing(db, reader, signature):
    if signature == "wrong-token":
        signature = sign("http://testserver/api/v1/twilio/sms/", sms("СТОП"), "other-token")
    response = post("/api/v1/twilio/sms/", sms("СТОП"), signature=signature)
    assert response.status_code == 403
    assert response.json()["code"] == "twilio.bad_signature"
    assert set(response.json()) == {"code", "message", "fields"}
    assert not InboundSms.objects.exists() and not InboxItem.objects.exists()
    assert not PhoneOptOut.objects.exists()
    assert Reader.objects.get(pk=reader.pk).messages_opt_out_at is None


def test_signature_over_other_params_is_refused(db, reader):
    signature = sign("http://testserver/api/v1/twilio/sms/", sms("1"))
    response = post("/api/v1/twilio/sms/", sms("СТОП"), signature=signature)
    assert response.status_code == 403
    assert not PhoneOptOut.objects.exists()


def test_every_webhook_checks_the_signature(db):
    for path in ("/api/v1/twilio/status/", "/api/v1/twilio/voice/"):
        response = post(path, {"CallSid": "CA1", "From": PHONE}, signature=None)
        assert response.status_code == 403
    assert not InboxItem.objects.exists()


def test_reply_1_confirms_the_visit(db, order):
    response = post("/api/v1/twilio/sms/", sms("1"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert "<Message>" in response.content.decode()
    event = OrderEvent.objects.filter(order=order).last()
    assert "confirm" in event.note.lower() or "подтвержд" in event.note.lower()
    assert InboundSms.objects.get().action == "confirmed"
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize("word", ["ДА", "да!", "Иә", "ИӘ"])
def test_yes_in_russian_and_kazakh_confirms(db, order, word):
    post("/api/v1/twilio/sms/", sms(word))
    assert InboundSms.objects.get().action == "confirmed"


def test_reply_2_gives_the_operator_a_task(db, order, reader):
    post("/api/v1/twilio/sms/", sms("2"))
    item = InboxItem.objects.get()
    assert (item.kind, item.reader, item.order, item.phone) == (
        "move_request", reader, order, PHONE)


def test_anything_else_goes_to_the_inbox(db, order, reader):
    post("/api/v1/twilio/sms/", sms("Можно принести Абая на казахском?"))
    item = InboxItem.objects.get()
    assert (item.kind, item.reader_id, item.status) == ("message", reader.id, "open")


def test_twilio_posting_the_same_sms_twice_makes_one_item(db, reader):
    post("/api/v1/twilio/sms/", sms("Здравствуйте", sid="SM42"))
    post("/api/v1/twilio/sms/", sms("Здравствуйте", sid="SM42"))
    assert InboxItem.objects.count() == 1
    assert InboundSms.objects.count() == 1


def test_unknown_number_still_reaches_the_operator(db):
    post("/api/v1/twilio/sms/", sms("Кто это?", phone="+77019990000"))
    item = InboxItem.objects.get()
    assert item.reader is None and item.phone == "+77019990000"


@pytest.mark.parametrize("word", ["STOP", "стоп", "Отписаться", "ТОҚТАТУ"])
def test_stop_is_honoured_and_recorded(db, order, reader, word):
    queued = message_enqueue(event_key="later", template="visit_tomorrow", to=PHONE,
                             text="...", reader=reader, order=order,
                             not_before=datetime.datetime.now(datetime.UTC)
                             + datetime.timedelta(days=1))
    post("/api/v1/twilio/sms/", sms(word))
    reader = Reader.objects.get(pk=reader.pk)
    assert reader.messages_opt_out_at is not None
    assert ReaderPhone.objects.get(reader=reader).sms_ok is False
    assert PhoneOptOut.objects.filter(number=PHONE).exists()
    assert CardChange.objects.filter(reader=reader, changes__has_key="messages_opt_out_at") \
        .exists()
    queued.refresh_from_db()
    assert (queued.status, queued.error_code) == ("cancelled", "opted_out")


def test_a_reader_who_sent_stop_gets_nothing_more(db, order, reader, settings):
    from backend.orders.messages import on_order_scheduled, visit_reminders_send

    post("/api/v1/twilio/sms/", sms("СТОП"))
    last = Message.objects.order_by("id").last().id
    on_order_scheduled(order)  # a stale reader in memory: the number itself is refused
    visit_reminders_send()
    message_enqueue(event_key="direct", template="x", to="8 701 555 01 01", text="...")
    after = Message.objects.filter(id__gt=last)
    assert after.exists()
    assert set(after.values_list("status", "error_code")) == {("cancelled", "opted_out")}
    assert not Message.objects.filter(status="queued").exists()
    assert messages_send_due() == 0


def test_start_subscribes_again(db, reader):
    post("/api/v1/twilio/sms/", sms("СТОП", sid="SM1"))
    post("/api/v1/twilio/sms/", sms("СТАРТ", sid="SM2"))
    reader = Reader.objects.get(pk=reader.pk)
    assert reader.messages_opt_out_at is None
    assert ReaderPhone.objects.get(reader=reader).sms_ok is True
    assert not PhoneOptOut.objects.exists()


def test_status_callback_updates_the_outbox(db, reader):
    message = message_enqueue(event_key="e1", template="x", to=PHONE, text="hello",
                              reader=reader, quiet_hours=False)
    Message.objects.filter(pk=message.pk).update(status="sent", provider_id="SMabc")
    path = f"/api/v1/twilio/status/?m={message.pk}"
    response = post(path, {"MessageSid": "SMabc", "MessageStatus": "delivered"})
    assert response.status_code == 204
    message.refresh_from_db()
    assert (message.status, message.provider_status) == ("delivered", "delivered")
    # A late "sent" does not undo "delivered".
    post(path, {"MessageSid": "SMabc", "MessageStatus": "sent"})
    assert Message.objects.get(pk=message.pk).status == "delivered"


def test_status_callback_finds_a_message_a_dead_worker_left_in_sending(db, reader):
    message = message_enqueue(event_key="e2", template="x", to=PHONE, text="hello",
                              reader=reader, quiet_hours=False)
    Message.objects.filter(pk=message.pk).update(status="sending")
    post(f"/api/v1/twilio/status/?m={message.pk}",
         {"MessageSid": "SMdead", "MessageStatus": "sent"})
    message.refresh_from_db()
    assert (message.status, message.provider_id) == ("sent", "SMdead")


def test_undelivered_is_failed_with_the_reason(db, reader):
    message = message_enqueue(event_key="e3", template="x", to=PHONE, text="hello",
                              reader=reader, quiet_hours=False)
    Message.objects.filter(pk=message.pk).update(status="sent", provider_id="SMund")
    post("/api/v1/twilio/status/",
         {"MessageSid": "SMund", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "30003")


def test_signature_is_checked_against_the_public_url_behind_a_proxy(db, reader, settings):
    settings.TWILIO_WEBHOOK_BASE_URL = "https://kniga03.test"
    params = sms("Добрый день")
    internal = post("/api/v1/twilio/sms/", params)  # signed for http://testserver/...
    assert internal.status_code == 403
    public = post("/api/v1/twilio/sms/", params,
                  url="https://kniga03.test/api/v1/twilio/sms/")
    assert public.status_code == 200
    assert InboxItem.objects.count() == 1


def test_incoming_call_pops_up_on_the_desk_and_is_put_through(db, reader, api):
    response = post("/api/v1/twilio/voice/", {"CallSid": "CA77", "From": "8 701 555 01 01",
                                              "To": "+77172000000"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<Dial" in body and "+77172555000</Dial>" in body
    item = InboxItem.objects.get()
    assert (item.kind, item.reader, item.phone) == ("call", reader, PHONE)
    operator = api.as_role("operator")
    pops = operator.get("/api/v1/desk/incoming/").json()["results"]
    assert [p["id"] for p in pops] == [item.id]
    assert pops[0]["card"]["id"] == reader.id
    assert pops[0]["card"]["phones"][0]["number"] == PHONE
    done = operator.post(f"/api/v1/desk/incoming/{item.id}/done/")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert operator.get("/api/v1/desk/incoming/").json()["results"] == []


def test_incoming_calls_are_listed_newest_first(db, reader, api):
    post("/api/v1/twilio/voice/", {"CallSid": "CA1", "From": PHONE})
    post("/api/v1/twilio/voice/", {"CallSid": "CA2", "From": "+77019990000"})
    pops = api.as_role("operator").get("/api/v1/desk/incoming/").json()["results"]
    assert [p["phone"] for p in pops] == ["+77019990000", PHONE]
    assert pops[0]["card"] is None


def test_inbox_api_lists_open_items_and_marks_them_done(db, order, api):
    post("/api/v1/twilio/sms/", sms("2", sid="SM1"))
    post("/api/v1/twilio/sms/", sms("Спасибо за книги", sid="SM2"))
    operator = api.as_role("operator")
    items = operator.get("/api/v1/desk/inbox/").json()["results"]
    assert [i["kind"] for i in items] == ["message", "move_request"]
    moves = operator.get("/api/v1/desk/inbox/?kind=move_request").json()["results"]
    assert moves[0]["order"] == order.id
    done = operator.post(f"/api/v1/desk/inbox/{items[1]['id']}/done/").json()
    assert done["status"] == "done" and done["assignee"] == str(operator.user)
    assert len(operator.get("/api/v1/desk/inbox/").json()["results"]) == 1
    assert len(operator.get("/api/v1/desk/inbox/?status=done").json()["results"]) == 1


def test_volunteers_do_not_see_the_inbox(db, api):
    assert api.as_role("volunteer").get("/api/v1/desk/inbox/").status_code == 403
    assert APIClient().get("/api/v1/desk/incoming/").status_code == 401
