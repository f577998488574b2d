"""The outbox decides on what a gateway's error says (permanent, opted out, wait so long),
never on a provider's code; and it reaches the cards only through what the apps registered."""
import datetime

import pytest
from django.utils import timezone
from twilio.base.exceptions import TwilioRestException

from backend.notifications import registry
from backend.notifications.gateways import GatewayError, SendResult
from backend.notifications.gateways.twilio import gateway_error
from backend.notifications.models import Message, MessageStatus, PhoneOptOut
from backend.notifications.sending import message_send
from backend.notifications.services import message_enqueue
from backend.readers.models import Reader
from tests.factories import BranchFactory
from tests.notifications.conftest import reader_with_phone


def twilio_error(status, code):
    return gateway_error(TwilioRestException(status, "https://api.twilio.com/x", "no", code))


def test_twilio_codes_become_what_they_mean():
    stop = twilio_error(400, 21610)
    assert (stop.permanent, stop.opted_out, stop.retry_after) == (True, True, None)
    landline = twilio_error(400, 21614)
    assert (landline.permanent, landline.opted_out) == (True, False)
    busy = twilio_error(429, 20429)
    assert (busy.permanent, busy.opted_out, busy.retry_after) == (False, False, 60)
    down = twilio_error(503, None)
    assert (down.permanent, down.retry_after) == (False, None)


class RefusingGateway:
    """A provider of its own: its codes mean nothing to the outbox, its attributes do."""

    def __init__(self, error):
        self.error = error

    def send_sms(self, **kwargs) -> SendResult:
        raise self.error

    def call(self, **kwargs) -> SendResult:
        raise self.error


def _queued(reader):
    return message_enqueue(event_key=f"test:{reader.pk}", template="visit_tomorrow",
                           to=str(reader.phones.first().number), text="Завтра", reader=reader,
                           branch=reader.branch, quiet_hours=False)


@pytest.mark.django_db
def test_an_opted_out_error_of_any_gateway_marks_the_number_and_the_card():
    reader = reader_with_phone(BranchFactory(), phone="+77011113301")
    message = _queued(reader)
    sent = message_send(message=message, gateway=RefusingGateway(
        GatewayError("unsubscribed", code="X-STOP", opted_out=True)))
    assert (sent.status, sent.error_code) == (MessageStatus.FAILED, "X-STOP")
    assert PhoneOptOut.objects.filter(number="+77011113301").exists()
    assert Reader.objects.get(pk=reader.pk).messages_opt_out_at is not None


@pytest.mark.django_db
def test_a_gateway_asking_to_wait_is_retried_no_sooner():
    reader = reader_with_phone(BranchFactory(), phone="+77011113302")
    message = _queued(reader)
    now = timezone.now()
    sent = message_send(message=message, now=now, gateway=RefusingGateway(
        GatewayError("slow down", code="X-BUSY", retry_after=600)))
    assert sent.status == MessageStatus.QUEUED
    assert sent.not_before >= now + datetime.timedelta(seconds=600)
    assert not PhoneOptOut.objects.exists()


@pytest.mark.django_db
def test_the_apps_register_what_the_outbox_asks_of_them():
    reader = reader_with_phone(BranchFactory(), phone="+77011113303")
    assert registry.phone_owner("+77011113303") == reader
    assert registry.inbound_sms_handler() is not None
    assert registry.context_refresher("route_published") is not None
    assert Message.objects.count() == 0
