"""The coordinator's day-plan page: who may open it, what it shows, in which language."""
import json

import pytest
from django.conf import settings

from backend.routing import services
from backend.routing.models import DayPlan
from backend.routing.views import next_working_day
from tests.factories import BranchFactory, ReaderFactory, UserFactory
from tests.routing.test_planning import reader_at, ready_order, volunteer

pytestmark = pytest.mark.urls("tests.routing.urls_plan_pages")


def signed_in(client, role: str, **kwargs):
    client.force_login(UserFactory(role=role, **kwargs))
    return client


def page_data(response) -> dict:
    html = response.content.decode()
    start = html.index('<script id="plan-data" type="application/json">') + len(
        '<script id="plan-data" type="application/json">')
    return json.loads(html[start:html.index("</script>", start)])


def test_anonymous_is_sent_to_sign_in(client, depot):
    response = client.get("/plan/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_volunteer_is_refused(client, depot):
    assert signed_in(client, "volunteer").get("/plan/").status_code == 403


def test_coordinator_sees_the_action_buttons(client, depot, day):
    response = signed_in(client, "coordinator").get(f"/plan/?branch={depot.pk}&date={day}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="plan-solve"' in html and 'id="plan-publish"' in html
    assert "Спланировать" in html
    data = page_data(response)
    assert data["can_edit"] is True
    assert (data["branch"]["id"], data["date"]) == (depot.pk, day.isoformat())


@pytest.mark.parametrize("role", ["operator", "librarian"])
def test_operator_and_librarian_see_the_plan_without_the_buttons(client, depot, day, role):
    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    lost = ReaderFactory(branch=depot, lat=None, lon=None)
    ready_order(lost, day)
    plan = services.plan_get_or_create(branch=depot, date=day)
    services.plan_solve(plan=plan, time_limit=1)
    response = signed_in(client, role).get(f"/plan/?branch={depot.pk}&date={day}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="plan-solve"' not in html and 'id="plan-publish"' not in html
    assert 'id="plan-edit"' not in html
    data = page_data(response)
    assert data["can_edit"] is False
    assert data["plan"]["id"] == plan.pk
    assert len(data["plan"]["routes"]) == 1
    assert [u["reader"]["id"] for u in data["plan"]["unserved"]] == [lost.pk]


def test_defaults_are_the_users_branch_and_the_next_working_day(client, db):
    BranchFactory(code="AAA", name="Айыртау")
    own = BranchFactory(code="ZZZ", name="Явленка")
    response = signed_in(client, "coordinator", branch=own).get("/plan/")
    data = page_data(response)
    assert data["branch"]["id"] == own.pk
    assert data["date"] == next_working_day().isoformat()
    assert not DayPlan.objects.exists()  # looking does not create a plan


def test_volunteers_and_their_shifts_for_the_day(client, depot, day):
    v = volunteer(depot, "10:00", "14:00")
    response = signed_in(client, "coordinator").get(f"/plan/?branch={depot.pk}&date={day}")
    html = response.content.decode()
    assert str(v) in html
    assert "10:00–14:00" in html


def test_volunteers_languages_are_words_not_codes(client, depot, day):
    v = volunteer(depot, "10:00", "14:00")
    v.languages = ["kk", "ru"]
    v.save(update_fields=["languages"])
    response = signed_in(client, "coordinator").get(f"/plan/?branch={depot.pk}&date={day}")
    html = response.content.decode()
    assert "Казахский, Русский" in html
    assert "kk, ru" not in html


def test_unknown_branch_is_not_found(client, depot):
    assert signed_in(client, "coordinator").get("/plan/?branch=999999").status_code == 404


@pytest.mark.parametrize("how", ["query", "cookie"])
def test_page_in_kazakh(client, depot, how):
    signed_in(client, "coordinator")
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
        response = client.get("/plan/")
    else:
        response = client.get("/plan/?language=kk")
    html = response.content.decode()
    assert '<html lang="kk">' in html
    assert "Күн жоспары" in html
    assert "Жоспарлау" in html  # the "Plan" button
    assert page_data(response)["texts"]["plan_status"]["draft"] != "Черновик"


def test_sheets_page_lists_every_route(client, depot, day):
    first, second = volunteer(depot), volunteer(depot)
    for lon in (69.01, 69.02):
        ready_order(reader_at(depot, lon), day, window=("09:00", "10:00"))
    plan = services.plan_get_or_create(branch=depot, date=day)
    services.plan_solve(plan=plan, time_limit=1)
    response = signed_in(client, "coordinator").get(f"/plan/{plan.pk}/sheets/")
    assert response.status_code == 200
    html = response.content.decode()
    for route in plan.routes.all():
        assert f"/api/v1/routes/{route.pk}/sheet.pdf" in html
    assert first.pk and second.pk
    assert signed_in(client, "volunteer").get(f"/plan/{plan.pk}/sheets/").status_code == 403


def test_operator_reads_the_plan_but_gets_no_route_sheets(client, depot, day):
    # The sheets and their PDFs are for coordinators and librarians (backend/reports/apis.py);
    # the page used to let operators in, to a wall of refused PDFs.
    volunteer(depot)
    ready_order(reader_at(depot, 69.01), day)
    plan = services.plan_get_or_create(branch=depot, date=day)
    services.plan_solve(plan=plan, time_limit=1)
    operator = signed_in(client, "operator")
    page = operator.get(f"/plan/?branch={depot.pk}&date={day}")
    assert page.status_code == 200
    assert 'id="plan-print"' not in page.content.decode()
    assert operator.get(f"/plan/{plan.pk}/sheets/").status_code == 403
    librarian = signed_in(client, "librarian")
    page = librarian.get(f"/plan/?branch={depot.pk}&date={day}")
    assert 'id="plan-print"' in page.content.decode()
    assert librarian.get(f"/plan/{plan.pk}/sheets/").status_code == 200
