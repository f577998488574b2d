"""The task broker down: the work a user does still succeeds, and nothing is lost or doubled.

Celery is configured as in production (tasks not eager) against a Redis that is not
answering: a `redis-server` this test starts on a free port only later.

* An operator takes an order while the broker is down: 201, and the confirmation SMS waits
  in the outbox, queued. The broker comes back, a real worker starts, the minute's sweep
  (what celery beat sends) reaches it, and the SMS reaches the fake Twilio server exactly
  once, however many sweeps follow.
* A coordinator asks for a plan while the broker is down: 503 `service.unavailable`, and
  the plan is not left waiting as "queued" for a job nobody will run.
"""
import datetime
import shutil
import time

import pytest
import redis
from django.utils import timezone
from rest_framework.test import APIClient

from backend.notifications.models import Message
from backend.notifications.tasks import sweep_messages_task
from backend.orders.models import Order
from backend.routing.models import DayPlan
from tests.broker import CeleryWorker, RedisServer, celery_on, free_port, running, wait_for
from tests.factories import (
    BranchFactory,
    ItemFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    UserFactory,
)
from tests.notifications.fake_twilio import FakeTwilio

needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None,
                                        reason="needs redis-server (apt-get install redis-server)")


def worker_env(shared_db, broker_url: str, twilio: FakeTwilio) -> dict[str, str]:
    return shared_db.env(
        DJANGO_SETTINGS_MODULE="backend.config.settings.local", DJANGO_DEBUG="false",
        CELERY_BROKER_URL=broker_url, CELERY_TASK_ALWAYS_EAGER="false",
        MESSAGE_BACKEND="twilio", TWILIO_ACCOUNT_SID=twilio.account_sid,
        TWILIO_AUTH_TOKEN=twilio.auth_token, TWILIO_FROM_NUMBER="+77172000000",
        TWILIO_API_BASE_URL=twilio.url, TWILIO_TIMEOUT="5", LOG_LEVEL="INFO",
    )


def task_done(worker: CeleryWorker, task_id: str) -> bool:
    return f"[{task_id}] succeeded" in worker.log()


@needs_redis_server
@pytest.mark.django_db(transaction=True)
def test_order_taken_with_the_broker_down_is_texted_exactly_once_when_it_is_back(
        shared_db, message_texts, tmp_path):
    # Messages may go out at any hour in this branch, so the test does not depend on the clock.
    branch = BranchFactory(quiet_hours_start=datetime.time(0), quiet_hours_end=datetime.time(0))
    reader = ReaderFactory(branch=branch)
    phone = str(ReaderPhoneFactory(reader=reader).number)
    item = ItemFactory(branch=branch)
    operator = APIClient()
    operator.force_authenticate(UserFactory(role="operator"))
    broker = RedisServer(free_port())

    with celery_on(broker.url()) as app, running(FakeTwilio()) as twilio:
        started = time.monotonic()
        taken = operator.post("/api/v1/orders/", {
            "reader": reader.pk, "lines": [{"title": item.title_id}],
            "preferred_date": (timezone.localdate() + datetime.timedelta(days=2)).isoformat(),
        }, format="json")
        took = time.monotonic() - started

        assert taken.status_code == 201, taken.content
        assert took < 10
        order = Order.objects.get(pk=taken.json()["id"])
        message = Message.objects.get(order=order)
        assert (message.status, message.attempts, message.to) == ("queued", 0, phone)

        with running(broker), running(CeleryWorker(
                env=worker_env(shared_db, broker.url(), twilio),
                queue=app.conf.task_default_queue, log_path=tmp_path / "worker.log")) as worker:
            first = sweep_messages_task.delay()
            wait_for(lambda: task_done(worker, first.id), timeout=60,
                     what="the sweep to run in the worker")
            message.refresh_from_db()
            assert (message.status, message.attempts) == ("sent", 1), worker.log()[-3000:]
            assert message.provider_id.startswith("SM")

            second = sweep_messages_task.delay()
            wait_for(lambda: task_done(worker, second.id), timeout=60,
                     what="the second sweep to run in the worker")
            queue_left = redis.Redis.from_url(broker.url()).llen(app.conf.task_default_queue)

        assert twilio.sms_count(phone) == 1
        assert [m["body"] for m in twilio.accepted] == [message.text]
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 1)
        assert queue_left == 0


@pytest.mark.django_db
def test_planning_with_the_broker_down_answers_503_and_the_plan_is_not_left_queued():
    plan = DayPlan.objects.create(branch=BranchFactory(),
                                  date=timezone.localdate() + datetime.timedelta(days=7))
    coordinator = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    coordinator.force_authenticate(UserFactory(role="coordinator"))

    with celery_on(f"redis://127.0.0.1:{free_port()}/0"):
        response = coordinator.post(f"/api/v1/plans/{plan.pk}/solve/", {"time_limit": 1},
                                    format="json")

    assert response.status_code == 503, response.content
    assert response.json() == {
        "code": "service.unavailable",
        "message": "The service is briefly unavailable. Please try again.", "fields": {}}
    plan.refresh_from_db()
    assert (plan.solve_status, plan.progress) == ("idle", {})
