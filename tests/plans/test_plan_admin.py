"""Standing plans in the librarians' admin: the recurrence picker builds the rule, the plan
services save it, people read it as a sentence."""
import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from backend.core.recurrence_picker import picker_rule, picker_values
from backend.plans.models import StandingPlan, StandingPlanPause
from backend.plans.services import standing_plan_create
from backend.readers.models import CardAccess, CardChange
from tests.core.picker_data import picker_post
from tests.factories import ReaderFactory, UserFactory

pytestmark = pytest.mark.django_db

ADD = reverse("admin:plans_standingplan_add")
LIST = reverse("admin:plans_standingplan_changelist")


@pytest.fixture
def librarian(client):
    user = UserFactory(role="librarian", is_staff=True)
    client.force_login(user)
    client.user = user
    return client


def pauses(rows=(), initial=0) -> dict:
    data = {"pauses-TOTAL_FORMS": str(len(rows)), "pauses-INITIAL_FORMS": str(initial),
            "pauses-MIN_NUM_FORMS": "0", "pauses-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        data.update({f"pauses-{index}-{key}": value for key, value in row.items()})
    return data


def plan_post(reader, **picker) -> dict:
    return {"reader": reader.pk, "family_card": "", "starts_on": "2030-01-01", "ends_on": "",
            "window_start": "10:00", "window_end": "12:00", "items_per_visit": "3",
            "active": "on", "note": "", **picker_post("rrule", **picker), **pauses()}


def test_librarian_creates_a_plan_with_the_picker(librarian):
    reader = ReaderFactory()
    data = plan_post(reader, mode="monthly_nth", positions=["1", "3"], nth_weekdays=["MO"])
    data.update(pauses([{"starts_on": "2030-06-01", "ends_on": "2030-06-30",
                         "reason": "Дача"}]))
    response = librarian.post(ADD, data, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = StandingPlan.objects.get()
    assert plan.rrule == "FREQ=MONTHLY;BYDAY=1MO,3MO"
    assert plan.reader == reader
    assert StandingPlanPause.objects.get().reason == "Дача"
    # Saved through the service: the card's history names the librarian.
    assert CardChange.objects.filter(reader=reader, actor=librarian.user).exists()
    with translation.override("ru"):
        assert str(plan) == "1-й и 3-й понедельник месяца (10:00–12:00)"


@pytest.mark.parametrize(("picker", "rule"), [
    ({"weekdays": ["TU"]}, "FREQ=WEEKLY;BYDAY=TU"),
    ({"interval": "2", "weekdays": ["TU"]}, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"),
    ({"weekdays": ["FR", "MO", "WE"], "end": "until", "until": "2031-12-31"},
     "FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20311231"),
    ({"weekdays": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]}, "FREQ=DAILY"),
    ({"mode": "monthly_nth", "positions": ["-1"], "nth_weekdays": ["FR"], "end": "count",
      "count": "12"}, "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12"),
    ({"mode": "monthly_nth", "positions": ["2", "4"], "nth_weekdays": ["TU", "TH"]},
     "FREQ=MONTHLY;BYDAY=2TU,4TU,2TH,4TH"),
    ({"mode": "monthly_days", "monthdays": ["15", "1"]}, "FREQ=MONTHLY;BYMONTHDAY=1,15"),
    ({"mode": "monthly_days", "monthdays": ["-1"]}, "FREQ=MONTHLY;BYMONTHDAY=-1"),
    ({"mode": "advanced", "advanced": "freq=yearly;bymonth=3;bymonthday=15"},
     "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15"),
])
def test_each_way_of_the_picker_stores_its_rule_and_reads_it_back(librarian, picker, rule):
    response = librarian.post(ADD, plan_post(ReaderFactory(), **picker))
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan = StandingPlan.objects.get()
    assert plan.rrule == rule
    # Opened again, the picker shows the same choices, and they make the same rule.
    page = librarian.get(reverse("admin:plans_standingplan_change", args=[plan.pk]))
    values = page.context["adminform"].form["rrule"].value()
    assert picker_values(plan.rrule)["mode"] == (picker.get("mode") or "weekly")
    assert picker_rule(picker_values(values) if isinstance(values, str) else values) == rule


@pytest.mark.parametrize(("picker", "message"), [
    ({"weekdays": []}, "Выберите хотя бы один день недели."),
    ({"mode": "monthly_nth", "nth_weekdays": ["MO"]}, "Выберите, какой по счёту"),
    ({"mode": "monthly_days"}, "Выберите хотя бы одно число месяца."),
    ({"weekdays": ["TU"], "end": "until", "until": "31.12"}, "Укажите последнюю дату."),
    ({"weekdays": ["TU"], "end": "count", "count": "0"}, "Укажите, сколько раз"),
    ({"mode": "advanced", "advanced": ""}, "Впишите правило в поле."),
    ({"mode": "advanced", "advanced": "FREQ=HOURLY"}, "HOURLY"),
])
def test_a_missing_choice_is_an_error_on_the_field(librarian, picker, message):
    response = librarian.post(ADD, plan_post(ReaderFactory(), **picker),
                              HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["rrule"]
    assert any(message in error for error in errors), errors
    assert not StandingPlan.objects.exists()


def test_a_rule_that_gives_no_visit_comes_back_from_the_service(librarian):
    data = plan_post(ReaderFactory(), weekdays=["TU"], end="until", until="2030-01-02")
    data["starts_on"] = "2030-01-03"
    response = librarian.post(ADD, data, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["rrule"]
    assert not StandingPlan.objects.exists()


def test_a_rule_the_picker_cannot_show_is_kept_as_another_rule_and_shown_as_words(librarian):
    reader = ReaderFactory()
    plan = standing_plan_create(data={
        "reader": reader, "rrule": "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        "starts_on": datetime.date(2030, 1, 1), "window_start": datetime.time(10),
        "window_end": datetime.time(12)})
    url = reverse("admin:plans_standingplan_change", args=[plan.pk])
    page = librarian.get(url, HTTP_ACCEPT_LANGUAGE="ru")
    html = page.content.decode()
    assert "Каждый месяц, в особые дни" in html
    assert 'value="advanced" data-part="mode" checked' in html
    # Saved unchanged, the rule stays as it was.
    data = plan_post(reader, mode="advanced", advanced=plan.rrule)
    data.pop("reader")
    data.pop("family_card")
    response = librarian.post(url, data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.rrule == "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"


def test_the_list_shows_the_sentence_and_logs_the_cards_shown(librarian):
    reader = ReaderFactory()
    standing_plan_create(data={
        "reader": reader, "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        "starts_on": datetime.date(2030, 1, 1), "window_start": datetime.time(10),
        "window_end": datetime.time(12)})
    response = librarian.get(LIST, HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert "Каждый второй вторник" in html
    assert "FREQ=" not in html
    assert CardAccess.objects.filter(readers=reader, user=librarian.user).exists()


def test_the_forms_show_no_rule_syntax(librarian):
    page = librarian.get(ADD, HTTP_ACCEPT_LANGUAGE="ru")
    html = page.content.decode()
    assert page.status_code == 200
    assert "FREQ" not in html and "BYDAY" not in html and "RRULE" not in html


@pytest.mark.parametrize("role", ["operator", "coordinator"])
def test_only_librarians_reach_the_plans(client, role):
    client.force_login(UserFactory(role=role, is_staff=True))
    response = client.get(LIST)
    assert response.status_code in (302, 403)


def test_the_sentence_preview_answers_staff_only(client, librarian):
    url = reverse("admin:recurrence_describe")
    query = "mode=monthly_nth&positions=1&positions=3&nth_weekdays=MO&end=never"
    body = librarian.get(f"{url}?{query}", HTTP_ACCEPT_LANGUAGE="kk").json()
    assert body == {"text": "Айдың 1-ші және 3-ші дүйсенбісі", "error": ""}
    body = librarian.get(f"{url}?mode=weekly", HTTP_ACCEPT_LANGUAGE="ru").json()
    assert body["text"] == "" and body["error"] == "Выберите хотя бы один день недели."
    client.logout()
    assert client.get(f"{url}?{query}").status_code == 302
    client.force_login(UserFactory(role="volunteer"))
    assert client.get(f"{url}?{query}").status_code == 302


def test_the_reader_card_lists_its_plans_in_words_with_a_link_to_add_one(librarian):
    reader = ReaderFactory()
    plan = standing_plan_create(data={
        "reader": reader, "rrule": "FREQ=WEEKLY;BYDAY=MO,WE,FR",
        "starts_on": datetime.date(2030, 1, 1), "window_start": datetime.time(10),
        "window_end": datetime.time(12)})
    page = librarian.get(reverse("admin:readers_reader_change", args=[reader.pk]),
                         HTTP_ACCEPT_LANGUAGE="ru")
    html = page.content.decode()
    assert "По понедельникам, средам и пятницам (10:00–12:00)" in html
    assert reverse("admin:plans_standingplan_change", args=[plan.pk]) in html
    assert f'{ADD}?reader={reader.pk}' in html
    # The link opens the form with the card chosen.
    form = librarian.get(f"{ADD}?reader={reader.pk}").context["adminform"].form
    assert str(form["reader"].value()) == str(reader.pk)


def test_changing_the_rule_in_the_admin_goes_through_the_service(librarian):
    reader = ReaderFactory()
    plan = standing_plan_create(data={
        "reader": reader, "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "starts_on": datetime.date(2030, 1, 1), "window_start": datetime.time(10),
        "window_end": datetime.time(12)})
    url = reverse("admin:plans_standingplan_change", args=[plan.pk])
    data = plan_post(reader, mode="monthly_days", monthdays=["15"], end="count", count="6")
    data.pop("reader")
    data.pop("family_card")
    response = librarian.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    plan.refresh_from_db()
    assert plan.rrule == "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=6"
    change = CardChange.objects.filter(reader=reader, actor=librarian.user).get()
    before, after = change.changes["standing_plan"]
    assert (before["rrule"], after["rrule"]) == ("FREQ=WEEKLY;BYDAY=TU", plan.rrule)


@pytest.mark.parametrize("query", [
    "mode=weekly&weekdays=TU&interval=abc&end=until&until=31.12",
    "mode=weekly&weekdays=XX&weekdays=TU&end=count&count=-5",
    "mode=monthly_days&monthdays=99&monthdays=0",
    "mode=nonsense",
    "mode=advanced&advanced=FREQ%3DWEEKLY%3BUNTIL%3D20271399",
    "mode=advanced&advanced=" + "X" * 5000,
])
def test_the_preview_answers_bad_choices_with_a_message_never_a_failure(librarian, query):
    response = librarian.get(f"{reverse('admin:recurrence_describe')}?{query}",
                             HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    body = response.json()
    assert body["text"] or body["error"]
    assert "FREQ" not in body["text"]
