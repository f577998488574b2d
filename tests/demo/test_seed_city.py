"""`manage.py seed_city`: the generated city of the load test, checked at a tiny scale so the
generator keeps producing data the product reads the way it reads its own."""
import datetime
import json
from collections import Counter
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count, F, Q
from rest_framework.test import APIClient

from backend.catalog.models import Item, Title
from backend.circulation.models import Loan
from backend.core.phones import to_e164
from backend.demo.city import MAX_ACTIVE_PER_READER, CityExistsError, CityScale, generate_city
from backend.orders.models import Order, OrderLine
from backend.readers.models import FamilyCard, Reader, ReaderPhone
from backend.readers.services import reader_search_text
from backend.routing.models import DayPlan, Route, Stop
from backend.volunteers.models import Volunteer
from mobile_api.auth import tokens_for
from mobile_api.selectors import branch_today, branch_zone
from tests.factories import ReaderFactory

TINY = CityScale(readers=200, volunteers=5, loans=1000, operators=2, stops_per_route=6)


@pytest.fixture(scope="module")
def city(django_db_setup, django_db_blocker, tmp_path_factory):
    """The tiny city, generated once for this module through the command, and rolled back
    after the module's last test."""
    figures = tmp_path_factory.mktemp("city") / "city.json"
    out = StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_city", "--readers", str(TINY.readers), "--volunteers",
                     str(TINY.volunteers), "--loans", str(TINY.loans), "--operators",
                     str(TINY.operators), "--stops-per-route", str(TINY.stops_per_route),
                     "--json", str(figures), stdout=out)
        report = json.loads(figures.read_text())
        yield SimpleNamespace(output=out.getvalue(), counts=report["rows"],
                              today=datetime.date.fromisoformat(report["today"]),
                              next_day=datetime.date.fromisoformat(report["next_day"]))
        transaction.set_rollback(True)


@pytest.fixture
def generated(city, db):
    return city


def test_the_counts_match_the_scale(generated):
    assert Reader.objects.count() == 200
    assert Volunteer.objects.count() == 5
    assert Loan.objects.count() == 1000
    assert Loan.objects.filter(status="active").count() == round(1000 * 0.08)
    assert generated.counts["circulation.Loan"] == 1000
    assert generated.counts["readers.Reader"] == 200
    assert Route.objects.count() == 5
    assert Stop.objects.count() == 5 * TINY.stops_per_route


def test_every_foreign_key_points_at_a_row(generated):
    """Rows point at each other before they are written; the checks deferred to the commit
    are run here, as the module's transaction never commits."""
    connection.check_constraints()


def test_every_loan_is_of_a_copy_of_its_title_lent_by_the_readers_branch(generated):
    assert not Loan.objects.exclude(item__title=F("title")).exists()
    assert not Loan.objects.exclude(branch=F("reader__branch")).exists()
    assert not Loan.objects.filter(order_line__isnull=True).exists()
    assert not Loan.objects.exclude(order_line__item=F("item")).exists()
    # A family member's loans count against the family card, as loan_issue records them.
    in_family = Loan.objects.filter(reader__family_card__isnull=False)
    assert in_family.exists()
    assert not in_family.exclude(family_card=F("reader__family_card")).exists()
    assert not Loan.objects.filter(status="returned", returned_at__isnull=True).exists()
    assert not Loan.objects.filter(returned_at__lt=F("issued_at")).exists()


def test_copies_states_follow_the_loans_and_the_reservations(generated):
    active = Loan.objects.filter(status="active")
    assert Item.objects.filter(status="on_loan").count() == active.count()
    assert not active.exclude(item__status="on_loan").exists()
    reserved = OrderLine.objects.filter(status="reserved")
    assert Item.objects.filter(status="reserved").count() == reserved.count()
    assert not reserved.exclude(item__status="reserved").exists()
    per_reader = Counter(active.values_list("reader_id", flat=True))
    assert max(per_reader.values()) <= MAX_ACTIVE_PER_READER
    assert not Loan.objects.filter(status="active", reader__status="closed").exists()
    assert Title.objects.filter(search_text="").count() == 0


def test_every_volunteer_has_todays_published_route_and_its_stops_belong_to_it(generated):
    today = generated.today
    for volunteer in Volunteer.objects.select_related("branch"):
        routes = list(Route.objects.filter(volunteer=volunteer).select_related("plan"))
        assert len(routes) == 1
        route = routes[0]
        assert route.status == "published"
        assert route.plan.date == today == branch_today(volunteer.branch)
        assert route.plan.branch_id == volunteer.branch_id
        assert route.plan.status == "published"
        stops = list(route.stops.order_by("sequence").prefetch_related("orders"))
        assert [s.sequence for s in stops] == list(range(1, TINY.stops_per_route + 1))
        for stop in stops:
            assert stop.plan_id == route.plan_id
            assert stop.window_start < stop.window_end
            local = stop.expected_arrival.astimezone(branch_zone(volunteer.branch)).time()
            assert stop.window_start <= local <= stop.window_end
            assert set(stop.languages) <= set(volunteer.languages)
            assert stop.household == (f"F{stop.family_card_id}" if stop.family_card_id
                                      else f"R{stop.reader_id}")
            orders = list(stop.orders.all())
            assert len(orders) == 1
            order = orders[0]
            assert order.status == "scheduled" and order.scheduled_date == today
            assert order.reader_id == stop.reader_id
            assert order.family_card_id == stop.family_card_id
            assert order.lines.filter(status="reserved").count() == stop.load_out > 0
        arrivals = [s.expected_arrival for s in stops]
        assert arrivals == sorted(arrivals)


def test_the_app_shows_each_stop_with_what_the_generator_promised(generated):
    """The volunteer's route through the mobile API: hand-over and collect lists match the
    stop's loads, so the load test's volunteers can complete every stop."""
    for volunteer in Volunteer.objects.select_related("user"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens_for(volunteer.user)['access']}")
        listed = client.get("/api/mobile/v1/me/routes/")
        assert listed.status_code == 200
        [summary] = listed.json()["routes"]
        body = client.get(f"/api/mobile/v1/routes/{summary['id']}/").json()
        loads = {s.pk: (s.load_out, s.load_back) for s in Stop.objects.filter(
            route_id=summary["id"])}
        for stop in body["stops"]:
            assert stop["details"] is True
            assert (stop["items_to_hand_over"], stop["items_to_collect"]) == loads[stop["id"]]
            assert all(item["barcode"] for item in stop["hand_over"])
    assert Stop.objects.filter(load_back__gt=0).exists()


def test_the_next_working_day_has_ready_orders_with_reserved_copies(generated):
    ready = Order.objects.filter(status="ready", preferred_date=generated.next_day)
    assert ready.count() == int(5 * TINY.stops_per_route * 0.8)
    assert not ready.filter(lines__status="waiting").exists()
    assert not ready.annotate(n=Count("lines", filter=Q(lines__status="reserved"))).filter(
        n=0).exists()
    assert not DayPlan.objects.filter(date=generated.next_day).exists()
    busy = set(Stop.objects.values_list("reader_id", flat=True))
    assert not busy & set(ready.values_list("reader_id", flat=True))


def test_cards_look_like_the_ones_the_services_make(generated):
    for reader in Reader.objects.select_related("branch")[:50]:
        assert reader.card_number == f"{reader.branch.code}-{reader.pk:05d}"
        assert reader.search_text == reader_search_text(reader)
        assert reader.status != "active" or reader.consent_date is not None
    for phone in ReaderPhone.objects.all():
        assert to_e164(str(phone.number)) == str(phone.number)
    for family in FamilyCard.objects.prefetch_related("members"):
        assert family.head_id in {m.pk for m in family.members.all()}
        assert family.number == f"{family.branch.code}-F{family.pk:04d}"


def test_the_desk_finds_a_generated_reader_by_a_phone_said_aloud(generated, api):
    phone = ReaderPhone.objects.filter(kind="mobile").select_related("reader").first()
    digits = str(phone.number)[2:]
    spoken = f"8 {digits[:3]} {digits[3:6]} {digits[6:8]} {digits[8:]}"
    answer = api.as_role("operator").get("/api/v1/desk/lookup/", {"phone": spoken})
    assert answer.status_code == 200
    assert phone.reader_id in [m["reader"]["id"] for m in answer.json()["matches"]]


def test_new_rows_after_the_city_get_fresh_ids(generated):
    """The generator hands out primary keys itself; the sequences must follow."""
    reader = ReaderFactory()
    title = Title.objects.create(title="После города")
    assert reader.pk > Reader.objects.exclude(pk=reader.pk).order_by("-pk").first().pk
    assert title.pk > 0


def test_the_command_says_what_it_made_and_refuses_a_second_city(generated):
    assert "circulation.Loan" in generated.output
    assert "Generating the city on" in generated.output
    with pytest.raises(CityExistsError):
        generate_city(TINY)
    with pytest.raises(CommandError, match="already there"):
        call_command("seed_city", "--readers", "60", "--volunteers", "2", "--loans", "100",
                     stdout=StringIO())
