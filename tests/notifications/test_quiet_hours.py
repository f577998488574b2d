"""Nobody is woken at night: what falls outside a branch's messaging hours waits."""
import datetime

import pytest

from backend.notifications.models import Message
from backend.notifications.sending import messages_send_due
from backend.notifications.texts import next_allowed_time
from backend.orders.messages import visit_reminders_send
from tests.factories import BranchFactory
from tests.notifications.conftest import ALMATY, local, reader_with_phone, scheduled_order


def test_a_reminder_due_at_2230_goes_out_at_0900(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    late = local(visit_day - datetime.timedelta(days=1), 22, 30)
    visit_reminders_send(now=late)
    message = Message.objects.get(reader=reader)
    assert message.not_before.astimezone(ALMATY) == local(visit_day, 9, 0)
    assert messages_send_due(now=late + datetime.timedelta(minutes=1)) == 0
    assert messages_send_due(now=local(visit_day, 8, 59)) == 0
    assert fake_twilio.accepted == []
    assert messages_send_due(now=local(visit_day, 9, 0)) == 1
    message.refresh_from_db()
    assert message.status == "sent"
    assert fake_twilio.sms_count(message.to) == 1


def test_a_reminder_in_the_evening_goes_at_once(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    evening = local(visit_day - datetime.timedelta(days=1), 18)
    visit_reminders_send(now=evening)
    assert Message.objects.get(reader=reader).not_before == evening


def test_retries_do_not_go_out_at_night(fake_twilio, branch_kz, visit_day):
    reader = reader_with_phone(branch_kz)
    scheduled_order(reader, visit_day)
    # The first retry waits 30 s: past 20:00, so it waits for the morning.
    almost_closed = local(visit_day - datetime.timedelta(days=1), 19, 59) + \
        datetime.timedelta(seconds=45)
    visit_reminders_send(now=almost_closed)
    fake_twilio.fail_next(1, status=503)
    messages_send_due(now=almost_closed)
    message = Message.objects.get(reader=reader)
    assert message.status == "queued"
    assert message.not_before.astimezone(ALMATY) == local(visit_day, 9, 0)


@pytest.mark.parametrize("at, expected", [
    ((8, 59), (9, 0)), ((9, 0), (9, 0)), ((13, 30), (13, 30)), ((19, 59), (19, 59)),
    ((20, 0), "next 9:00"), ((23, 59), "next 9:00"), ((0, 10), (9, 0)),
])
def test_default_hours_are_nine_to_eight_local(db, at, expected):
    day = datetime.date(2030, 3, 12)
    result = next_allowed_time(local(day, *at), None).astimezone(ALMATY)
    if expected == "next 9:00":
        assert result == local(day + datetime.timedelta(days=1), 9)
    else:
        assert result == local(day, *expected)


def test_a_branch_sets_its_own_hours_and_zone(db):
    branch = BranchFactory(quiet_hours_start=datetime.time(10), quiet_hours_end=datetime.time(18),
                           time_zone="Asia/Aqtobe")
    branch.refresh_from_db()
    at = datetime.datetime(2030, 3, 12, 18, 30, tzinfo=datetime.UTC)
    result = next_allowed_time(at, branch)
    assert result.isoformat() == "2030-03-13T10:00:00+05:00"
