"""A real Celery worker: `celery -A backend.config worker` in a subprocess, on the Redis at
127.0.0.1:6379, against the test's own database (tests/shared_db.py: the PostgreSQL test
database, or on SQLite a file copy of it) and the fake Twilio server.

Through the broker it gets a planning job (`routing.plan_day` for a small day) and a message
(`notifications.send_message`); the test checks what they did: the day's routes in the
database, the SMS at the fake Twilio, once. The worker is always stopped.

The Redis database number is REDIS_TEST_DB (13 unless set), emptied before the test; the
queue name is new for each run, so two runs on one machine do not take each other's jobs.
Without Redis at 127.0.0.1:6379 the test is skipped.
"""
import datetime
import os
import uuid

import pytest
import redis
from django.utils import timezone

from backend.notifications.models import Message
from backend.notifications.tasks import send_message_task
from backend.routing import services
from backend.routing.models import DayPlan, Route, Stop
from backend.routing.tasks import plan_day_task
from tests.broker import CeleryWorker, celery_on, redis_answers, running, wait_for
from tests.factories import BranchFactory, ReaderPhoneFactory
from tests.notifications.fake_twilio import FakeTwilio
from tests.routing.test_planning import next_weekday, reader_at, ready_order, volunteer

REDIS_URL = f"redis://127.0.0.1:6379/{int(os.environ.get('REDIS_TEST_DB', '13'))}"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not redis_answers(REDIS_URL),
                       reason="needs Redis at 127.0.0.1:6379 (apt-get install redis-server)"),
]


def worker_env(shared_db, twilio: FakeTwilio) -> dict[str, str]:
    return shared_db.env(
        DJANGO_SETTINGS_MODULE="backend.config.settings.local", DJANGO_DEBUG="false",
        CELERY_BROKER_URL=REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false",
        MESSAGE_BACKEND="twilio", TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token, TWILIO_FROM_NUMBER="+77172000000",
        TWILIO_API_BASE_URL=twilio.url, TWILIO_TIMEOUT="5",
    )


@pytest.fixture
def queue():
    """A queue of this run's own on an emptied Redis database; its keys go afterwards."""
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    name = f"kniga03-test-{uuid.uuid4().hex[:8]}"
    try:
        yield name
    finally:
        for key in broker.scan_iter(f"*{name}*"):
            broker.delete(key)


def test_worker_plans_a_day_and_sends_an_sms_through_the_broker(shared_db, queue, tmp_path):
    depot, day = BranchFactory(code="WRK", lat=54.0, lon=69.0), next_weekday()
    volunteers = [volunteer(depot) for _ in range(2)]
    orders = [ready_order(reader_at(depot, 69.0 + 0.01 * i), day) for i in range(1, 5)]
    plan = services.plan_get_or_create(branch=depot, date=day)
    reader = orders[0].reader
    phone = str(ReaderPhoneFactory(reader=reader).number)
    message = Message.objects.create(
        event_key=f"worker-test:{uuid.uuid4().hex}", template="order_confirmed", to=phone,
        text="Книга 03: заявка принята.", reader=reader, branch=depot,
        not_before=timezone.now() - datetime.timedelta(seconds=1))

    with running(FakeTwilio()) as twilio, celery_on(REDIS_URL), running(CeleryWorker(
            env=worker_env(shared_db, twilio), queue=queue,
            log_path=tmp_path / "worker.log")) as worker:
        planning = plan_day_task.apply_async(args=[plan.pk, 2.0, None, []], queue=queue)
        sending = send_message_task.apply_async(args=[message.pk], queue=queue)

        def finished():
            log = worker.log()
            return all(f"[{task.id}] succeeded" in log for task in (planning, sending))

        wait_for(finished, timeout=120, what="both jobs to finish in the worker")

    plan = DayPlan.objects.get(pk=plan.pk)
    assert plan.solve_status == "done", worker.log()[-3000:]
    assert plan.figures["served"] == 4
    routes = Route.objects.filter(plan=plan)
    assert routes.count() >= 1
    assert {r.volunteer_id for r in routes} <= {v.pk for v in volunteers}
    served = Stop.objects.filter(plan=plan, route__isnull=False)
    assert sorted(o.pk for s in served for o in s.orders.all()) == sorted(o.pk for o in orders)
    assert all(s.expected_arrival for s in served)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1), worker.log()[-3000:]
    assert message.provider_id.startswith("SM")
    assert twilio.sms_count(phone) == 1
    assert twilio.accepted[0]["body"] == "Книга 03: заявка принята."
