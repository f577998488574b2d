"""The day's print pack: one PDF, a compact sheet per volunteer, then the day's summary."""
import datetime
import io
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from pypdf import PdfReader

from backend.readers.models import CardAccess
from backend.reports.print_pack import render_route_sheet_pdf
from backend.reports.route_sheet import route_sheet_data
from backend.routing.models import DayPlan
from tests.factories import ReaderFactory, TitleFactory
from tests.reports.factories import (
    DayPlanFactory,
    OrderFactory,
    ReservedLineFactory,
    RouteFactory,
    StopFactory,
    VolunteerFactory,
)
from tests.reports.fake_tile_server import FakeTileServer
from tests.reports.test_route_sheet import at, build_route

URLS = "tests.reports.urls"


def pages_of(pdf: bytes) -> list[str]:
    """Each page's text, with runs of spaces and line breaks made one space."""
    return [" ".join((page.extract_text() or "").split())
            for page in PdfReader(io.BytesIO(pdf)).pages]


def get_pack(api, role: str, plan_id: int, **params):
    return api.as_role(role).get(f"/api/v1/plans/{plan_id}/sheets.pdf", params,
                                 HTTP_ACCEPT="application/pdf")


@pytest.fixture
def day(db, settings):
    """Two volunteers (six stops and one stop) and a stop no route took, in Almaty; the
    server itself keeps UTC, so a time read in the server's zone would show."""
    settings.TIME_ZONE = "UTC"
    six = build_route(6)
    plan = six.plan
    plan.branch.time_zone = "Asia/Almaty"
    plan.branch.save(update_fields=["time_zone"])
    one = RouteFactory(plan=plan, volunteer=VolunteerFactory(
        branch=plan.branch, user__first_name="Болат", user__last_name="Ержанов"))
    reader = ReaderFactory(branch=plan.branch, last_name="Сейткали", first_name="Дана",
                           lat=54.72, lon=69.12)
    order = OrderFactory(reader=reader)
    ReservedLineFactory(order=order, item__barcode="KZ7000001",
                        item__title=TitleFactory(title="Абай жолы", format="braille"))
    StopFactory(route=one, sequence=1, reader=reader, orders=[order],
                expected_arrival=at(14, 35))
    left = ReaderFactory(branch=plan.branch, last_name="Нұрланова", first_name="Ажар",
                         lat=None, lon=None)
    StopFactory(route=None, plan=plan, reader=left, unserved_reason="no_coordinates",
                status="planned")
    return {"plan": plan, "six": six, "one": one}


@pytest.mark.urls(URLS)
def test_one_page_per_volunteer_then_the_summary(api, day):
    response = get_pack(api, "coordinator", day["plan"].pk, language="ru")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert "routes-2026-12-08-" in response["Content-Disposition"]
    pages = pages_of(response.content)
    assert len(pages) == 2 + 1
    six_name = day["six"].volunteer.user.get_full_name()
    assert pages[0].startswith(f"Маршрутный лист — {six_name}")
    assert pages[1].startswith("Маршрутный лист — Болат Ержанов")
    assert pages[2].startswith("День:")
    # The header once per sheet, not once per stop.
    assert pages[0].count("Маршрутный лист") == 1
    assert all(f"Страница {n} из 3" in page for n, page in enumerate(pages, start=1))


@pytest.mark.urls(URLS)
def test_six_stops_fit_on_one_page_with_their_times_in_the_branch_zone(api, day):
    first = pages_of(get_pack(api, "coordinator", day["plan"].pk, language="ru").content)[0]
    names = [s.reader.full_name for s in day["six"].stops.order_by("sequence")]
    assert len(names) == 6
    for name in names:
        assert name in first
    # at(10, n) is 10:0n in Almaty, 05:0n in UTC.
    for minute in range(6):
        assert f"прибытие в 10:0{minute}" in first
        assert f"05:0{minute}" not in first
    assert "10:00–12:00" in first


@pytest.mark.urls(URLS)
def test_the_summary_speaks_words_and_counts_in_russian(api, day):
    summary = pages_of(get_pack(api, "coordinator", day["plan"].pk, language="ru").content)[-1]
    assert "7 остановок в маршрутах" in summary
    assert "1 остановка не в плане" in summary
    assert "2 волонтёра" in summary
    assert "Нұрланова Ажар" in summary
    assert "У адреса нет координат" in summary
    assert "no_coordinates" not in summary
    assert "6 остановок" in summary and "1 остановка" in summary
    assert "местное время филиала (UTC+5)" in summary
    assert "Asia/Almaty" not in summary


@pytest.mark.urls(URLS)
def test_the_pack_in_kazakh(api, day):
    pages = pages_of(get_pack(api, "coordinator", day["plan"].pk, language="kk").content)
    assert pages[0].startswith("Маршрут парағы")
    assert "2 ерікті" in pages[-1]
    assert "Мекенжайдың координаттары жоқ" in pages[-1]


@pytest.mark.urls(URLS)
def test_each_sheet_in_its_volunteers_language_by_default(api, day):
    volunteer = day["one"].volunteer
    volunteer.languages = ["kk"]
    volunteer.save(update_fields=["languages"])
    with_language = api.as_role("coordinator")
    with_language.cookies["django_language"] = "ru"
    pages = pages_of(with_language.get(f"/api/v1/plans/{day['plan'].pk}/sheets.pdf").content)
    assert pages[0].startswith("Маршрутный лист")
    assert pages[1].startswith("Маршрут парағы")


@pytest.mark.urls(URLS)
def test_a_coordinators_pack_counts_the_books_a_librarians_names_them(api, day):
    coordinator = " ".join(pages_of(get_pack(api, "coordinator", day["plan"].pk,
                                             language="ru").content))
    librarian = " ".join(pages_of(get_pack(api, "librarian", day["plan"].pk,
                                           language="ru").content))
    assert "Абай жолы" in librarian and "KZ7000001" in librarian
    for secret in ("Абай жолы", "KZ7000001", "Брайль"):
        assert secret not in coordinator
    assert "Передать: 1 экземпляр" in coordinator
    assert "Сейткали Дана" in coordinator


@pytest.mark.urls(URLS)
@pytest.mark.parametrize("role", ["volunteer", "operator"])
def test_volunteers_and_operators_may_not_print_the_pack(api, day, role):
    response = get_pack(api, role, day["plan"].pk)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.urls(URLS)
def test_unknown_plan_and_bad_language(api, day):
    missing = get_pack(api, "coordinator", 999999)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = get_pack(api, "coordinator", day["plan"].pk, language="de")
    assert bad.status_code == 400 and "language" in bad.json()["fields"]
    assert api.get(f"/api/v1/plans/{day['plan'].pk}/sheets.pdf").status_code == 401


@pytest.mark.urls(URLS)
def test_printing_the_pack_logs_one_card_access_naming_every_reader(api, day):
    get_pack(api, "coordinator", day["plan"].pk)
    row = CardAccess.objects.get()
    named = {s.reader_id for s in day["plan"].stops.all()}
    assert row.action == "route"
    assert named <= set(row.readers.values_list("pk", flat=True))


@pytest.mark.urls(URLS)
def test_the_schema_documents_the_pack(api, db):
    paths = api.as_role("librarian").get("/api/schema/", {"format": "json"}).json()["paths"]
    operation = paths["/api/v1/plans/{id}/sheets.pdf"]["get"]
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert {"400", "401", "403", "404"} <= set(operation["responses"])


@pytest.mark.urls(URLS)
def test_a_day_without_routes_prints_the_summary_alone(api, db):
    plan = DayPlanFactory(date=datetime.date(2026, 12, 9))
    pages = pages_of(get_pack(api, "librarian", plan.pk, language="ru").content)
    assert len(pages) == 1
    assert "0 волонтёров" in pages[0]


# The demo day --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=StringIO())
        yield
        transaction.set_rollback(True)


@pytest.mark.urls(URLS)
def test_the_demo_days_pack(api, demo, db, settings):
    settings.TIME_ZONE = "UTC"
    plan = DayPlan.objects.filter(routes__isnull=False).distinct().first()
    assert plan is not None, "the demo should plan a day"
    routes = list(plan.routes.order_by("id").select_related("volunteer__user"))
    response = get_pack(api, "coordinator", plan.pk, language="ru")
    assert response.status_code == 200
    pages = pages_of(response.content)
    sheet_pages = [p for p in pages if p.startswith("Маршрутный лист — ")]
    # Every volunteer's sheet starts a page; routes of up to six stops take one page.
    names = [r.volunteer.user.get_full_name() for r in routes]
    assert len(sheet_pages) == len(routes)
    for page, name in zip(sheet_pages, names):
        assert page.startswith(f"Маршрутный лист — {name} ")
    longest = max(r.stops.exclude(status="cancelled").count() for r in routes)
    assert longest >= 6, "the demo day should have a route of six stops or more"
    assert len(pages) == len(routes) + 1
    assert pages[-1].startswith("День:")


@pytest.mark.urls(URLS)
def test_the_demo_days_pack_draws_each_route_over_the_streets(api, demo, db, settings):
    settings.TIME_ZONE = "UTC"
    tiles = FakeTileServer().start()
    settings.MAP_TILE_URL = tiles.template
    settings.MAP_TILE_ATTRIBUTION = "Тестовая подложка"
    cache.clear()
    try:
        plan = DayPlan.objects.filter(routes__isnull=False).distinct().first()
        routes = list(plan.routes.order_by("id"))
        response = get_pack(api, "coordinator", plan.pk, language="ru")
    finally:
        tiles.stop()
        cache.clear()
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.content))
    pages = pages_of(response.content)
    # The same pages as without tiles: a sheet a volunteer, then the summary.
    assert len(pages) == len(routes) + 1
    for number, route in enumerate(routes):
        assert len(reader.pages[number].images) == 1
        assert "Тестовая подложка" in pages[number]
        stops = route.stops.exclude(status="cancelled").count()
        assert any(f"{stops} {word}" in pages[number]
                   for word in ("остановка", "остановки", "остановок"))
        assert pages[number].count("вручено") == stops  # every stop on its one page
    assert len(reader.pages[-1].images) == 0
    assert 0 < len(tiles.requests) <= 24 * len(routes)


# One volunteer's sheet ------------------------------------------------------------------------


def test_a_single_sheet_of_six_stops_is_one_portrait_page(db):
    pdf = render_route_sheet_pdf(route_sheet_data(build_route(6)), "ru")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 1
    assert pages[0].mediabox.width < pages[0].mediabox.height
    text = " ".join(pages[0].extract_text().split())
    assert text.count("Маршрутный лист") == 1
    assert "Страница 1 из 1" in text


def test_a_stop_with_two_hundred_books_goes_on_over_pages(db):
    data = route_sheet_data(build_route(1))
    book = data["stops"][0]["hand_over"][0]
    data["stops"][0]["hand_over"] = [dict(book, barcode=f"KZ8{n:06d}") for n in range(200)]
    pdf = render_route_sheet_pdf(data, "ru")
    pages = pages_of(pdf)
    assert len(pages) > 1
    text = " ".join(pages)
    assert all(f"KZ8{n:06d}" in text for n in range(200))
