"""The outbox through the real twilio client against the fake Twilio: retries, permanent
failures, a worker dying after Twilio accepted, timeouts, channels and languages."""
import datetime

import pytest

from backend.notifications.gateways.twilio import TwilioGateway
from backend.notifications.models import Message, PhoneOptOut
from backend.notifications.sending import (
    message_send,
    messages_send_due,
    messages_sweep,
)
from backend.orders.messages import visit_reminders_send
from backend.readers.models import Reader, ReaderPhone
from tests.notifications.conftest import local, reader_with_phone, scheduled_order

pytestmark = pytest.mark.urls("tests.notifications.urls")


class WorkerDied(BaseException):
    """What a killed worker looks like from inside: nothing after this line runs."""


class DiesAfterTwilioAccepts(TwilioGateway):
    def send_sms(self, **kwargs):
        super().send_sms(**kwargs)
        raise WorkerDied


def remind(branch, day):
    """Write the reminders the evening before (18:00 local) and answer that moment."""
    evening = local(day - datetime.timedelta(days=1), 18)
    visit_reminders_send(now=evening, branch=branch)
    return evening


def send_until_settled(now, *, step=datetime.timedelta(minutes=5), rounds=60):
    for _ in range(rounds):
        messages_send_due(now=now)
        if not Message.objects.filter(status__in=["queued", "sending"]).exists():
            return now
        now += step
    raise AssertionError("messages still waiting")


def test_batch_with_every_second_request_failing_sends_each_once(fake_twilio, branch_kz,
                                                                 visit_day):
    readers = [reader_with_phone(branch_kz) for _ in range(7)]
    for reader in readers:
        scheduled_order(reader, visit_day)
    fake_twilio.fail_every(2, status=500)
    evening = remind(branch_kz, visit_day)
    assert Message.objects.filter(template="visit_tomorrow").count() == 7
    send_until_settled(evening)
    for reader in readers:
        number = str(reader.phones.get().number)
        assert fake_twilio.sms_count(number) == 1
        message = Message.objects.get(reader=reader)
        assert message.status == "sent"
        assert message.provider_id.startswith("SM")
    assert Message.objects.filter(attempts__gt=1).exists()  # some were retried


def test_permanent_failure_stops_at_once_with_the_reason(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz, phone="+77011112233")
    scheduled_order(reader, visit_day)
    fake_twilio.error_for("+77011112233", status=400, code=21211)
    evening = remind(branch_kz, visit_day)
    send_until_settled(evening)
    message = Message.objects.get(reader=reader)
    assert (message.status, message.error_code, message.attempts) == ("failed", "21211", 1)
    assert "not a valid phone number" in message.error_message
    assert fake_twilio.creates() == 1


def test_unsubscribed_number_fails_and_is_recorded_as_refused(fake_twilio, branch_kz,
                                                              visit_day):
    reader = reader_with_phone(branch_kz, phone="+77011112244")
    scheduled_order(reader, visit_day)
    fake_twilio.error_for("+77011112244", status=400, code=21610)
    send_until_settled(remind(branch_kz, visit_day))
    message = Message.objects.get(reader=reader)
    assert (message.status, message.error_code) == ("failed", "21610")
    assert PhoneOptOut.objects.filter(number="+77011112244").exists()
    assert Reader.objects.get(pk=reader.pk).messages_opt_out_at is not None


def test_landline_for_sms_is_permanent(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz, phone="+77011112255")
    scheduled_order(reader, visit_day)
    fake_twilio.error_for("+77011112255", status=400, code=21614)
    send_until_settled(remind(branch_kz, visit_day))
    assert Message.objects.get(reader=reader).error_code == "21614"
    assert fake_twilio.creates() == 1


def test_rate_limit_is_retried_later(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    fake_twilio.fail_next(1, status=429, code=20429)
    evening = remind(branch_kz, visit_day)
    messages_send_due(now=evening)
    message = Message.objects.get(reader=reader)
    assert (message.status, message.error_code, message.attempts) == ("queued", "20429", 1)
    assert message.not_before >= evening + datetime.timedelta(seconds=60)
    assert messages_send_due(now=evening + datetime.timedelta(seconds=30)) == 0
    messages_send_due(now=message.not_before)
    message.refresh_from_db()
    assert message.status == "sent"
    assert fake_twilio.sms_count(message.to) == 1


def test_a_hang_times_out_and_is_retried_once(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    fake_twilio.hang_next(1, accept=False)
    evening = remind(branch_kz, visit_day)
    messages_send_due(now=evening)
    message = Message.objects.get(reader=reader)
    assert (message.status, message.error_code, message.fate_unknown) == (
        "queued", "timeout", True)
    send_until_settled(message.not_before)
    message.refresh_from_db()
    assert message.status == "sent"
    assert fake_twilio.sms_count(message.to) == 1
    assert ("GET", f"/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json") in \
        fake_twilio.requests  # the log was read before the second try


def test_accepted_then_timeout_is_not_sent_again(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    fake_twilio.hang_next(1, accept=True)
    evening = remind(branch_kz, visit_day)
    messages_send_due(now=evening)
    message = Message.objects.get(reader=reader)
    assert message.fate_unknown
    send_until_settled(message.not_before)
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_id == fake_twilio.accepted[0]["sid"]
    assert fake_twilio.sms_count(message.to) == 1
    assert fake_twilio.creates() == 1


def test_worker_killed_after_twilio_accepted_sends_no_second_sms(fake_twilio, settings,
                                                                 branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    other = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    scheduled_order(other, visit_day)
    evening = remind(branch_kz, visit_day)
    message = Message.objects.get(reader=reader)
    settings.MESSAGE_BACKEND = "tests.notifications.test_outbox_twilio.DiesAfterTwilioAccepts"
    with pytest.raises(WorkerDied):
        message_send(message=message, now=evening)
    message.refresh_from_db()
    assert message.status == "sending"
    assert fake_twilio.sms_count(message.to) == 1
    settings.MESSAGE_BACKEND = "twilio"
    # A minute later the row is still someone's work in progress: left alone.
    figures = messages_sweep(now=evening + datetime.timedelta(minutes=1))
    assert figures["recovered"] == 0
    assert Message.objects.get(pk=message.pk).status == "sending"
    # Ten minutes later it is stale: looked up in Twilio's log, found, not sent again.
    figures = messages_sweep(now=evening + datetime.timedelta(minutes=10))
    assert figures["recovered"] == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert message.provider_id == fake_twilio.accepted[0]["sid"]
    assert fake_twilio.sms_count(message.to) == 1
    assert fake_twilio.sms_count(str(other.phones.get().number)) == 1
    assert fake_twilio.creates() == 2


def test_worker_killed_before_twilio_had_it_sends_it_after_the_sweep(fake_twilio, branch_kz,
                                                                     visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    evening = remind(branch_kz, visit_day)
    # Claimed by a worker that died before calling Twilio.
    Message.objects.filter(reader=reader).update(status="sending", claimed_at=evening,
                                                 attempts=1)
    messages_sweep(now=evening + datetime.timedelta(minutes=10))
    message = Message.objects.get(reader=reader)
    assert message.status == "sent"
    assert fake_twilio.sms_count(message.to) == 1


def test_same_text_to_same_number_for_two_events_is_not_taken_for_the_other(
        fake_twilio, settings, branch_kz, visit_day):
    """Reconciliation does not adopt a message the outbox already has under another row."""
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    evening = remind(branch_kz, visit_day)
    first = Message.objects.get(reader=reader)
    message_send(message=first, now=evening)
    twin = Message.objects.create(event_key="twin", template=first.template, to=first.to,
                                  text=first.text, not_before=evening, status="sending",
                                  claimed_at=evening, attempts=1, reader=reader)
    messages_sweep(now=evening + datetime.timedelta(minutes=10))
    twin.refresh_from_db()
    assert twin.status == "sent"
    assert twin.provider_id != Message.objects.get(pk=first.pk).provider_id
    assert fake_twilio.sms_count(first.to) == 2


def test_kazakh_reader_gets_the_kazakh_text(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz, language="kk")
    scheduled_order(reader, visit_day)
    send_until_settled(remind(branch_kz, visit_day))
    body = fake_twilio.accepted[0]["body"]
    assert body.startswith("Кітап 03")
    assert "Растау үшін 1" in body
    assert "10:00–13:00" in body


def test_visually_impaired_reader_gets_a_call_that_says_the_text(fake_twilio, branch_kz,
                                                                 visit_day):
    reader = reader_with_phone(branch_kz, preferences={"formats": ["audio"]})
    scheduled_order(reader, visit_day)
    send_until_settled(remind(branch_kz, visit_day))
    assert fake_twilio.accepted == []
    call = fake_twilio.calls[0]
    assert call["to"] == str(reader.phones.get().number)
    assert call["from"] == "+77172000000"
    assert '<Say language="ru-RU" loop="2">' in call["_twiml"]
    assert "Напоминаем о визите волонтёра" in call["_twiml"]
    message = Message.objects.get(reader=reader)
    assert (message.channel, message.status) == ("voice", "sent")
    assert message.provider_id.startswith("CA")


def test_kazakh_reader_hears_russian_when_no_kazakh_audio_is_set_up(fake_twilio, branch_kz,
                                                                   visit_day):
    reader = reader_with_phone(branch_kz, language="kk", contact_channel="voice")
    scheduled_order(reader, visit_day)
    send_until_settled(remind(branch_kz, visit_day))
    twiml = fake_twilio.calls[0]["_twiml"]
    assert "ru-RU" in twiml and "Напоминаем о визите волонтёра" in twiml
    message = Message.objects.get(reader=reader)
    assert (message.language, message.voice_mode) == ("kk", "say")


def test_caregiver_channel_sends_to_the_caregiver(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz, contact_channel="caregiver",
                               caregiver_name="Асель", caregiver_phone="+77019998877")
    scheduled_order(reader, visit_day)
    send_until_settled(remind(branch_kz, visit_day))
    assert fake_twilio.sms_count("+77019998877") == 1
    assert fake_twilio.sms_count(str(reader.phones.get().number)) == 0
    assert Message.objects.get(reader=reader).via_caregiver


def test_status_callback_url_carries_our_message_id(fake_twilio, settings, branch_kz,
                                                    visit_day):
    settings.TWILIO_WEBHOOK_BASE_URL = "https://kniga03.test"
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    send_until_settled(remind(branch_kz, visit_day))
    message = Message.objects.get(reader=reader)
    assert fake_twilio.accepted[0]["_status_callback"] == (
        f"https://kniga03.test/api/v1/twilio/status/?m={message.pk}")


def test_a_phone_without_sms_gets_a_call(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    ReaderPhone.objects.filter(reader=reader).update(kind="home")
    scheduled_order(reader, visit_day)
    send_until_settled(remind(branch_kz, visit_day))
    assert len(fake_twilio.calls) == 1 and fake_twilio.accepted == []
