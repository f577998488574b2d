"""What readers and volunteers hear when orders and routes change."""
import datetime

import pytest
from django.utils import timezone

from backend.notifications.models import BranchMessaging, Message, MessageTemplate
from backend.notifications.sending import messages_send_due
from backend.notifications.texts import say_date
from backend.orders import services as order_services
from backend.orders.messages import visit_reminders_send
from backend.routing import services as routing_services
from backend.routing.models import Stop
from tests.factories import BranchFactory, LoanFactory, ReaderPhoneFactory
from tests.notifications.conftest import local, reader_with_phone, scheduled_order
from tests.routing.test_planning import plan_and_solve, reader_at, ready_order, volunteer


def told(order):
    return list(Message.objects.filter(order=order).order_by("id")
                .values_list("template", flat=True))


@pytest.fixture
def day():
    return timezone.localdate() + datetime.timedelta(days=10)


def take_order(reader, day):
    return order_services.order_create(
        reader=reader, lines=[{"wish_text": "Абай, на казахском"}], preferred_date=day,
        window_start=datetime.time(10), window_end=datetime.time(13))


def test_order_taken_with_a_date_is_confirmed_in_writing(branch, day):
    reader = reader_with_phone(branch)
    order = take_order(reader, day)
    message = Message.objects.get(order=order)
    assert message.template == "order_confirmed"
    assert say_date(day, "ru") in message.text and "10:00–13:00" in message.text
    assert message.to == str(reader.phones.get().number)


def test_scheduling_tells_only_what_is_new(branch, day):
    reader = reader_with_phone(branch)
    order = take_order(reader, day)
    order.status = "ready"  # picked
    order.save()
    order_services.order_schedule(order=order, date=day)
    assert told(order) == ["order_confirmed"]  # the same day: nothing new
    order_services.order_unschedule(order=order, note="off the routes")
    assert told(order) == ["order_confirmed", "visit_cancelled"]
    later = day + datetime.timedelta(days=2)
    order_services.order_schedule(order=order, date=later)
    assert told(order) == ["order_confirmed", "visit_cancelled", "visit_moved"]
    moved = Message.objects.filter(order=order).order_by("id").last()
    assert say_date(later, "ru") in moved.text
    order_services.order_cancel(order=order)
    assert told(order)[-1] == "visit_cancelled"


def test_kazakh_dates_and_text(branch, day):
    reader = reader_with_phone(branch, language="kk")
    order = take_order(reader, day)
    message = Message.objects.get(order=order)
    assert message.language == "kk"
    assert say_date(day, "kk") in message.text
    assert message.text.startswith("Кітап 03")


def test_no_template_never_stops_the_order(branch, day):
    MessageTemplate.objects.all().delete()
    reader = reader_with_phone(branch)
    order = take_order(reader, day)
    assert order.pk and not Message.objects.exists()


def test_reminders_run_twice_send_once_and_tell_what_is_due_back(branch, day):
    reader = reader_with_phone(branch)
    order = scheduled_order(reader, day)
    LoanFactory(reader=reader, due_date=day - datetime.timedelta(days=1),
                item__title__title="Путь Абая")
    evening = local(day - datetime.timedelta(days=1), 18)
    assert visit_reminders_send(now=evening) == 2
    assert visit_reminders_send(now=evening) == 2  # answers the same rows, adds none
    assert sorted(told(order)) == ["items_due", "visit_tomorrow"]
    due = Message.objects.get(template="items_due")
    assert "«Путь Абая»" in due.text


def published_day(branch, day, readers=2):
    helper = volunteer(branch)
    helper.user.language = "ru"
    helper.user.save()
    people = []
    for index in range(readers):
        reader = reader_at(branch, 69.01 + index * 0.01)
        ReaderPhoneFactory(reader=reader)
        ready_order(reader, day)
        people.append(reader)
    plan, _ = plan_and_solve(branch, day)
    routing_services.plan_publish(plan=plan)
    return plan, helper, people


@pytest.fixture
def depot(db):
    return BranchFactory(code="DEP", lat=54.0, lon=69.0)


def test_publishing_a_route_tells_the_volunteer_once(depot, day):
    plan, helper, _people = published_day(depot, day)
    routes = Message.objects.filter(user=helper.user)
    assert [m.template for m in routes] == ["route_published"]
    message = routes.get()
    assert message.to == str(helper.user.phone)
    assert message.status == "queued" and message.not_before > timezone.now()
    messages_send_due(now=message.not_before)
    message.refresh_from_db()
    assert message.status == "sent"
    assert "адресов 2" in message.text
    # It carries a one-tap sign-in link to the app, still there when the text is refreshed.
    assert "http://127.0.0.1:8000/app/#link=" in message.text
    assert message.context["link"] in message.text
    # Each reader hears the date once (their orders were not confirmed before).
    for reader in _people:
        assert list(Message.objects.filter(reader=reader).values_list("template", flat=True)) \
            == ["order_confirmed"]


def test_a_burst_of_changes_makes_one_message(depot, day):
    plan, helper, _people = published_day(depot, day)
    route = plan.routes.get()
    stops = list(Stop.objects.filter(route=route).order_by("sequence"))
    routing_services.route_resequence(route=route, stop_ids=[s.pk for s in reversed(stops)])
    routing_services.route_resequence(route=route, stop_ids=[s.pk for s in stops])
    assert Message.objects.filter(user=helper.user).count() == 1


def test_volunteer_on_the_way_when_the_branch_wants_it(depot, day):
    plan, _helper, _people = published_day(depot, day)
    stops = list(Stop.objects.filter(plan=plan).order_by("sequence"))
    routing_services.stop_arrive(stop=stops[0])
    assert not Message.objects.filter(template="on_the_way").exists()  # off by default
    BranchMessaging.objects.create(branch=depot, on_the_way=True)
    Stop.objects.filter(pk=stops[0].pk).update(status="planned")
    routing_services.stop_arrive(stop=stops[0])
    message = Message.objects.get(template="on_the_way")
    assert message.reader == stops[1].reader
    assert message.expires_at is not None
