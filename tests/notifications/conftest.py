"""Fixtures for the messaging tests: a fake Twilio, readers with phones, a clock."""
import datetime
import zoneinfo

import pytest
from django.utils import timezone

from backend.orders.models import Order
from tests.factories import BranchFactory, ReaderFactory, ReaderPhoneFactory
from tests.notifications.fake_twilio import FakeTwilio

ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


@pytest.fixture
def fake_twilio(settings):
    """A fake Twilio API on 127.0.0.1; the real twilio client is pointed at it."""
    fake = FakeTwilio().start()
    settings.MESSAGE_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = fake.account_sid
    settings.TWILIO_AUTH_TOKEN = fake.auth_token
    settings.TWILIO_FROM_NUMBER = "+77172000000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = fake.url
    settings.TWILIO_TIMEOUT = 0.5
    settings.TWILIO_WEBHOOK_BASE_URL = ""
    settings.TWILIO_STATUS_CALLBACK_URL = ""
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def visit_day():
    """A day a month ahead, so nothing about it is in the past."""
    return timezone.localdate() + datetime.timedelta(days=30)


def local(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ALMATY)


@pytest.fixture
def branch_kz(db):
    return BranchFactory(code="KZ1")


def reader_with_phone(branch, *, phone=None, **kwargs):
    reader = ReaderFactory(branch=branch, **kwargs)
    ReaderPhoneFactory(reader=reader, **({"number": phone} if phone else {}))
    return reader


def scheduled_order(reader, day, window=("10:00", "13:00")):
    return Order.objects.create(
        reader=reader, branch=reader.branch, status="scheduled", scheduled_date=day,
        preferred_date=day, window_start=datetime.time.fromisoformat(window[0]),
        window_end=datetime.time.fromisoformat(window[1]),
    )
