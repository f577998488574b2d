"""The route sheet (PDF) and the route picture (SVG): data, rendering, and who may print."""
import datetime
import io
import xml.etree.ElementTree as ET
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from backend.circulation.selectors import due_back
from backend.reports.print_pack import render_route_sheet_pdf
from backend.reports.route_map import render_route_svg
from backend.reports.route_sheet import (
    route_sheet_data,
    routes_for_sheet,
    volunteer_language,
)
from backend.volunteers.models import Volunteer
from tests.factories import (
    BranchFactory,
    FamilyCardFactory,
    LoanFactory,
    ReaderFactory,
    ReaderPhoneFactory,
    TitleFactory,
)
from tests.reports.factories import (
    PLAN_DATE,
    OrderFactory,
    ReservedLineFactory,
    RouteFactory,
    StopFactory,
    VolunteerFactory,
)

SVG = "{http://www.w3.org/2000/svg}"
ALMATY = ZoneInfo("Asia/Almaty")
URLS = "tests.reports.urls"


def at(hour: int, minute: int) -> datetime.datetime:
    """A time on the plan's day in Almaty, stored (as the planner does) in UTC."""
    local = datetime.datetime.combine(PLAN_DATE, datetime.time(hour, minute), tzinfo=ALMATY)
    return local.astimezone(datetime.UTC)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def plan(db):
    """A volunteer's day with three stops: a reader, a family, a reader without coordinates."""
    branch = BranchFactory(name="Бишкөл кітапханасы", phone="+7 715 234 56 78",
                           address="Абай к-сі, 5", time_zone="Asia/Almaty")
    volunteer = VolunteerFactory(branch=branch, languages=["kk", "ru"],
                                 user__first_name="Айгүл", user__last_name="Сәрсенова")
    route = RouteFactory(plan__branch=branch, volunteer=volunteer, departure=at(9, 30),
                         end=at(13, 10), distance_m=4200, duration_s=12600)

    # 1. A reader: home phone first, an SMS-capable mobile second; two books reserved.
    aliya = ReaderFactory(branch=branch, last_name="Құрманғазиева", first_name="Әлия",
                          patronymic="Серікқызы", street="Абай", house="12", apartment="4",
                          entrance="2", floor=3, door_code="45К", elevator=False,
                          landmark="көк қақпа", access_notes="Ауладағы ит байлаулы емес",
                          lat=54.781, lon=69.105)
    ReaderPhoneFactory(reader=aliya, number="+77152000001", kind="home", position=0)
    ReaderPhoneFactory(reader=aliya, number="+77011110001", kind="mobile", sms_ok=True,
                       position=1)
    order1 = OrderFactory(reader=aliya)
    abai = ReservedLineFactory(order=order1, item__barcode="KZ0000101",
                               item__title=TitleFactory(title="Қара сөздер",
                                                        authors=["Абай Құнанбайұлы"],
                                                        format="large_print"))
    ReservedLineFactory(order=order1, item__barcode="KZ0000102")
    ReservedLineFactory(order=order1, item__barcode="KZ0000199", status="waiting")  # not yet
    stop1 = StopFactory(route=route, sequence=1, reader=aliya, orders=[order1],
                        expected_arrival=at(10, 5))

    # 2. A family: the contact has a home phone only, the son an SMS-capable mobile.
    family = FamilyCardFactory(branch=branch, name="Өтеповтер отбасы", street="Шоқан",
                               house="7", access_notes="Қоңырау істемейді, қағыңыз")
    mother = ReaderFactory(branch=branch, family_card=family, last_name="Өтепова",
                           first_name="Гүлнұр", lat=54.775, lon=69.095)
    son = ReaderFactory(branch=branch, family_card=family, last_name="Өтепов",
                        first_name="Нұрлан")
    ReaderPhoneFactory(reader=mother, number="+77152000002", kind="home")
    ReaderPhoneFactory(reader=son, number="+77011110002", kind="mobile", sms_ok=True)
    ReaderPhoneFactory(reader=son, number="+77011110003", kind="mobile", sms_ok=False,
                       position=1)
    order2 = OrderFactory(reader=mother, family_card=family)
    ReservedLineFactory(order=order2, reader=son, item__barcode="KZ0000201")
    due_son = LoanFactory(reader=son, item__barcode="KZ0000901",
                          due_date=PLAN_DATE - datetime.timedelta(days=3))
    due_mother = LoanFactory(reader=mother, family_card=family, item__barcode="KZ0000902",
                             due_date=PLAN_DATE)
    LoanFactory(reader=mother, item__barcode="KZ0000903",
                due_date=PLAN_DATE + datetime.timedelta(days=10))  # not due yet
    stop2 = StopFactory(route=route, sequence=2, reader=mother, family_card=family,
                        orders=[order2], expected_arrival=at(11, 0),
                        window_start=datetime.time(11, 0), window_end=datetime.time(12, 30))

    # 3. A reader with no phone of their own and no coordinates: call the caregiver.
    bolat = ReaderFactory(branch=branch, last_name="Жұмабаев", first_name="Болат", lat=None,
                          lon=None, caregiver_name="Сәуле Жұмабаева",
                          caregiver_phone="+77011110004")
    order3 = OrderFactory(reader=bolat)
    ReservedLineFactory(order=order3, item__barcode="KZ0000301")
    due_bolat = LoanFactory(reader=bolat, item__barcode="KZ0000904",
                            due_date=PLAN_DATE - datetime.timedelta(days=1))
    LoanFactory(reader=bolat, item__barcode="KZ0000905", status="returned",
                due_date=PLAN_DATE - datetime.timedelta(days=20))
    stop3 = StopFactory(route=route, sequence=3, reader=bolat, orders=[order3], lat=None,
                        lon=None, expected_arrival=at(12, 20))

    # Not on the sheet: a cancelled stop, and someone else's loan.
    StopFactory(route=route, sequence=4, status="cancelled")
    LoanFactory(item__barcode="KZ0000999", due_date=PLAN_DATE - datetime.timedelta(days=5))

    return {
        "route": route, "volunteer": volunteer, "branch": branch,
        "stops": [stop1, stop2, stop3], "readers": [aliya, mother, son, bolat],
        "family": family, "lines": [abai], "loans": [due_son, due_mother, due_bolat],
    }


def build_route(stops: int):
    """A route with `stops` stops, every third one a family with members, orders and loans."""
    route = RouteFactory()
    branch = route.plan.branch
    for index in range(stops):
        family = None
        reader = ReaderFactory(branch=branch, lat=54.7 + index / 100, lon=69.1)
        if index % 3 == 0:
            family = FamilyCardFactory(branch=branch)
            reader.family_card = family
            reader.save(update_fields=["family_card"])
            member = ReaderFactory(branch=branch, family_card=family)
            ReaderPhoneFactory(reader=member)
            LoanFactory(reader=member, due_date=PLAN_DATE)
        ReaderPhoneFactory(reader=reader, kind="home")
        order = OrderFactory(reader=reader, family_card=family)
        ReservedLineFactory(order=order)
        ReservedLineFactory(order=order)
        LoanFactory(reader=reader, due_date=PLAN_DATE - datetime.timedelta(days=1))
        StopFactory(route=route, sequence=index + 1, reader=reader, family_card=family,
                    orders=[order], expected_arrival=at(10, index))
    return route


# The data ------------------------------------------------------------------------------------


def test_stops_come_in_sequence_with_what_to_hand_over_and_collect(plan):
    data = route_sheet_data(plan["route"])

    assert [s["number"] for s in data["stops"]] == [1, 2, 3]
    assert [s["name"] for s in data["stops"]] == [
        "Құрманғазиева Әлия Серікқызы", "Өтепова Гүлнұр Петровна", "Жұмабаев Болат Петровна"]
    first, family, third = data["stops"]
    assert [b["barcode"] for b in first["hand_over"]] == ["KZ0000101", "KZ0000102"]
    assert first["hand_over"][0] | {"order_id": None} == {
        "title": "Қара сөздер", "authors": "Абай Құнанбайұлы", "format": "large_print",
        "barcode": "KZ0000101", "reader": "Құрманғазиева Әлия Серікқызы", "order_id": None}
    assert first["collect"] == []
    assert [b["barcode"] for b in family["hand_over"]] == ["KZ0000201"]
    assert family["hand_over"][0]["reader"] == "Өтепов Нұрлан Петровна"
    assert [b["barcode"] for b in family["collect"]] == ["KZ0000901", "KZ0000902"]
    assert family["family_name"] == "Өтеповтер отбасы"
    assert family["members"] == ["Өтепов Нұрлан Петровна"]
    assert [b["barcode"] for b in third["collect"]] == ["KZ0000904"]
    assert data["totals"] == {"stops": 3, "hand_over": 4, "collect": 3, "distance_km": 4.2}


def test_what_to_collect_is_due_back_for_each_household(plan):
    data = route_sheet_data(plan["route"])
    for row, stop in zip(data["stops"], plan["stops"]):
        expected = due_back(reader=stop.reader, family=stop.family_card, on_date=PLAN_DATE)
        assert [b["loan_id"] for b in row["collect"]] == [loan.pk for loan in expected]


def test_the_phone_to_call_ahead(plan):
    first, family, third = route_sheet_data(plan["route"])["stops"]
    # An SMS-capable mobile before the home phone listed above it.
    assert first["phone"]["number"] == "+77011110001"
    assert first["phone"]["display"] == "+7 701 111 0001"
    # In a household, the son's SMS-capable mobile before the mother's home phone.
    assert (family["phone"]["number"], family["phone"]["who"]) == (
        "+77011110002", "Өтепов Нұрлан Петровна")
    # No phone of their own: the caregiver.
    assert third["phone"] == {"number": "+77011110004", "display": "+7 701 111 0004",
                              "kind": "caregiver", "who": "Сәуле Жұмабаева"}


def test_address_times_and_header_are_in_the_branch_zone(plan):
    data = route_sheet_data(plan["route"])
    first = data["stops"][0]
    assert first["address"] | {} == {
        "settlement": "Бишкуль", "street": "Абай", "house": "12", "apartment": "4",
        "entrance": "2", "floor": 3, "door_code": "45К", "elevator": False,
        "landmark": "көк қақпа"}
    assert first["access_notes"] == ["Ауладағы ит байлаулы емес"]
    assert (first["window_start"], first["window_end"]) == (datetime.time(10), datetime.time(12))
    assert first["expected_time"] == "10:05"
    assert data["stops"][1]["access_notes"] == ["Қоңырау істемейді, қағыңыз"]
    assert data["stops"][1]["address"]["street"] == "Шоқан"  # the family's address
    assert (data["start_time"], data["end_time"]) == ("09:30", "13:10")
    assert data["volunteer"]["name"] == "Айгүл Сәрсенова"
    assert data["volunteer"]["language"] == "kk"
    assert data["branch"]["name"] == "Бишкөл кітапханасы"
    assert data["date"] == PLAN_DATE


@pytest.mark.parametrize(("languages", "expected"), [
    (["kk", "ru"], "kk"), (["en", "ru", "kk"], "ru"), (["RU"], "ru"), ([], "ru"), (None, "ru"),
])
def test_volunteer_language_is_their_first_printable_one(languages, expected):
    assert volunteer_language(Volunteer(languages=languages)) == expected


@pytest.mark.parametrize("stops", [3, 12])
def test_the_data_takes_a_fixed_number_of_queries(db, stops):
    route_id = build_route(stops).pk
    with CaptureQueriesContext(connection) as queries:
        data = route_sheet_data(routes_for_sheet().get(pk=route_id))
    assert len(data["stops"]) == stops
    assert data["totals"]["hand_over"] == 2 * stops
    assert data["totals"]["collect"] == stops + len(range(0, stops, 3))
    assert len(queries) == 7, [q["sql"] for q in queries.captured_queries]


# The PDF -------------------------------------------------------------------------------------


def test_pdf_in_kazakh_for_a_kazakh_speaking_volunteer(plan):
    pdf = render_route_sheet_pdf(route_sheet_data(plan["route"]))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Маршрут парағы" in text
    assert "Маршрутный лист" not in text
    for word in ("Құрманғазиева", "Өтепова", "Жұмабаев", "Сәрсенова", "Бишкөл кітапханасы",
                 "Қара сөздер", "Ауладағы ит"):
        assert word in text
    for barcode in ("KZ0000101", "KZ0000102", "KZ0000201", "KZ0000301", "KZ0000901",
                    "KZ0000902", "KZ0000904"):
        assert barcode in text
    assert "KZ0000199" not in text and "KZ0000903" not in text and "KZ0000999" not in text
    assert "+7 701 111 0001" in text
    assert "08.12.2026" in text
    assert "10:00–12:00" in text


def test_pdf_in_russian_for_a_russian_speaking_volunteer(plan):
    volunteer = plan["volunteer"]
    volunteer.languages = ["ru"]
    volunteer.save(update_fields=["languages"])
    text = pdf_text(render_route_sheet_pdf(route_sheet_data(plan["route"])))
    assert "Маршрутный лист" in text
    assert "Маршрут парағы" not in text
    assert "подъезд 2" in text
    assert "Құрманғазиева" in text


def test_pdf_has_page_numbers_and_the_branch_phone(plan):
    text = pdf_text(render_route_sheet_pdf(route_sheet_data(plan["route"]), "ru"))
    assert "Страница 1 из 1" in text
    assert "+7 715 234 56 78" in text


def test_a_long_route_runs_over_several_numbered_pages(db):
    route = build_route(12)
    pdf = render_route_sheet_pdf(route_sheet_data(route), "ru")
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 1
    assert f"Страница {len(pages)} из {len(pages)}" in pages[-1].extract_text()


def test_a_stop_with_many_books_still_fits(plan):
    data = route_sheet_data(plan["route"])
    book = data["stops"][0]["hand_over"][0]
    data["stops"][0]["hand_over"] = [dict(book, barcode=f"KZ9{n:06d}") for n in range(40)]
    text = pdf_text(render_route_sheet_pdf(data))
    assert "KZ9000000" in text and "KZ9000039" in text


# The SVG -------------------------------------------------------------------------------------


def test_svg_draws_numbered_stops_the_path_and_lists_those_without_coordinates(plan):
    svg = render_route_svg(route_sheet_data(plan["route"]))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    stops = root.findall(f".//{SVG}g[@class='stop']")
    assert [g.get("data-number") for g in stops] == ["1", "2"]
    assert [g.find(f"{SVG}text").text for g in stops] == ["1", "2"]
    assert all(g.find(f"{SVG}circle") is not None for g in stops)
    # Branch → 1 → 2 → branch.
    polyline = root.find(f".//{SVG}polyline[@class='route']")
    assert len(polyline.get("points").split()) == 4
    assert root.find(f".//{SVG}g[@class='depot']") is not None
    assert root.find(f".//{SVG}g[@class='scale']") is not None
    assert root.find(f".//{SVG}g[@class='north']") is not None
    missing = [t.text for t in root.findall(f".//{SVG}text[@class='missing']")]
    assert missing == ["3. Жұмабаев Болат Петровна"]
    assert "Айгүл Сәрсенова, 08.12.2026" in root.find(f"{SVG}title").text


def test_svg_escapes_names(plan):
    data = route_sheet_data(plan["route"])
    data["stops"][2]["name"] = "<script>alert(1)</script> & Co"
    data["volunteer"]["name"] = 'Ай"гүл <b>'
    svg = render_route_svg(data)
    root = ET.fromstring(svg)
    assert "<script>" not in svg
    assert root.find(f".//{SVG}text[@class='missing']").text == (
        "3. <script>alert(1)</script> & Co")


def test_svg_stops_inside_the_picture(plan):
    root = ET.fromstring(render_route_svg(route_sheet_data(plan["route"])))
    _x, _y, width, height = map(float, root.get("viewBox").split())
    for circle in root.iter(f"{SVG}circle"):
        assert 0 < float(circle.get("cx")) < width
        assert 0 < float(circle.get("cy")) < height


# The API -------------------------------------------------------------------------------------


@pytest.mark.urls(URLS)
@pytest.mark.parametrize("role", ["coordinator", "librarian"])
def test_staff_print_the_sheet(api, plan, role):
    client = api.as_role(role)
    route = plan["route"]
    response = client.get(f"/api/v1/routes/{route.pk}/sheet.pdf",
                          HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert "route-2026-12-08-" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF")
    assert "Маршрут парағы" in pdf_text(response.content)


@pytest.mark.urls(URLS)
def test_staff_can_print_in_another_language(api, plan):
    client = api.as_role("coordinator")
    response = client.get(f"/api/v1/routes/{plan['route'].pk}/sheet.pdf", {"language": "ru"})
    assert "Маршрутный лист" in pdf_text(response.content)
    bad = client.get(f"/api/v1/routes/{plan['route'].pk}/sheet.pdf", {"language": "de"})
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_error"
    assert "language" in bad.json()["fields"]


@pytest.mark.urls(URLS)
def test_staff_get_the_map(api, plan, make_user):
    client = api.as_user(make_user(is_superuser=True))
    response = client.get(f"/api/v1/routes/{plan['route'].pk}/map.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(response.content)
    assert len(root.findall(f".//{SVG}g[@class='stop']")) == 2


@pytest.mark.urls(URLS)
@pytest.mark.parametrize("path", ["sheet.pdf", "map.svg"])
@pytest.mark.parametrize("role", ["volunteer", "operator"])
def test_volunteers_and_operators_may_not_print(api, plan, path, role):
    response = api.as_role(role).get(f"/api/v1/routes/{plan['route'].pk}/{path}",
                                     HTTP_ACCEPT="application/pdf")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "permission_denied"


@pytest.mark.urls(URLS)
def test_the_route_volunteer_cannot_print_it_here_either(api, plan):
    response = api.as_user(plan["volunteer"].user).get(
        f"/api/v1/routes/{plan['route'].pk}/sheet.pdf")
    assert response.status_code == 403


@pytest.mark.urls(URLS)
@pytest.mark.parametrize("path", ["sheet.pdf", "map.svg"])
def test_unknown_route_is_404_in_the_error_shape(api, db, path):
    response = api.as_role("coordinator").get(f"/api/v1/routes/999999/{path}")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "not_found"
    assert set(body) == {"code", "message", "fields"}


@pytest.mark.urls(URLS)
def test_anonymous_is_401(api, plan):
    response = api.get(f"/api/v1/routes/{plan['route'].pk}/sheet.pdf")
    assert response.status_code == 401
    assert response.json()["code"] == "auth.not_authenticated"


@pytest.mark.urls(URLS)
def test_the_schema_documents_the_printouts(api, db):
    response = api.as_role("librarian").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    sheet = paths["/api/v1/routes/{id}/sheet.pdf"]["get"]
    picture = paths["/api/v1/routes/{id}/map.svg"]["get"]
    assert sheet["responses"]["200"]["content"]["application/pdf"]["schema"] == {
        "type": "string", "format": "binary"}
    assert "image/svg+xml" in picture["responses"]["200"]["content"]
    for operation in (sheet, picture):
        assert {"401", "403", "404"} <= set(operation["responses"])


@pytest.mark.urls(URLS)
def test_a_coordinators_sheet_counts_the_books_but_does_not_name_them(api, plan):
    """Titles, formats and barcodes tell what a reader reads; the coordinator's print says
    how many items go out and when each one that comes back was due."""
    route = plan["route"]
    coordinator = api.as_role("coordinator").get(f"/api/v1/routes/{route.pk}/sheet.pdf",
                                                 {"language": "ru"})
    librarian = api.as_role("librarian").get(f"/api/v1/routes/{route.pk}/sheet.pdf",
                                             {"language": "ru"})
    full, counted = (" ".join(pdf_text(r.content).split()) for r in (librarian, coordinator))
    assert "Қара сөздер" in full and "KZ0000101" in full and "Крупный шрифт" in full
    for secret in ("Қара сөздер", "Абай Құнанбайұлы", "KZ0000101", "KZ0000901",
                   "Крупный шрифт"):
        assert secret not in counted
    assert "2 экземпляра" in counted  # the first stop's two reserved copies
    assert "срок 05.12" in counted  # the son's loan, due three days before the visit
    assert "Құрманғазиева Әлия" in counted  # who and where stay


@pytest.mark.urls(URLS)
def test_printing_a_sheet_leaves_one_access_log_row_naming_its_readers(api, plan):
    from backend.readers.models import CardAccess

    api.as_role("coordinator").get(f"/api/v1/routes/{plan['route'].pk}/sheet.pdf")
    row = CardAccess.objects.get()
    assert (row.action, row.count) == ("route", 5)
    assert set(row.readers.all()) == set(plan["readers"])
    assert list(row.family_cards.all()) == [plan["family"]]
