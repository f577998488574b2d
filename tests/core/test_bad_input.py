"""Hostile and impossible input is a 4xx in the one error shape, never a 500 or an HTML page:
dates at the edge of the calendar, JSON nested without end, over-size bodies, unknown URLs,
and signing in while the database takes no writes."""
import contextlib
import datetime

import psycopg
import pytest
from django.db import InternalError, OperationalError, connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import BranchFactory, ReaderFactory, UserFactory

pytestmark = pytest.mark.django_db

EDGES = ["0001-01-01", "9999-12-31"]


def client_as(role: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_authenticate(UserFactory(role=role))
    return client


def assert_out_of_range(response, field: str) -> None:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "date.out_of_range"
    assert set(body["fields"]) == {field} or field in body["fields"]
    assert body["message"].startswith(f"{field}: ")


# Dates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize("field", ["since", "until"])
def test_card_access_filter_refuses_edge_dates(day, field):
    response = client_as("librarian").get(f"/api/v1/card-access/?{field}={day}")
    assert_out_of_range(response, field)


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize("field", ["from", "to"])
def test_standing_plan_occurrences_refuse_edge_dates(day, field):
    client = client_as("librarian")
    reader = ReaderFactory()
    created = client.post("/api/v1/standing-plans/", {
        "reader": reader.pk, "rrule": "FREQ=WEEKLY;BYDAY=TU",
        "window_start": "10:00", "window_end": "12:00"}, format="json")
    assert created.status_code == 201, created.content
    plan = created.json()["id"]
    response = client.get(f"/api/v1/standing-plans/{plan}/occurrences/?{field}={day}")
    assert_out_of_range(response, field)


@pytest.mark.parametrize("day", EDGES)
@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_standing_plan_refuses_edge_dates(day, field):
    reader = ReaderFactory()
    body = {"reader": reader.pk, "rrule": "FREQ=WEEKLY;BYDAY=TU", "window_start": "10:00",
            "window_end": "12:00", field: day}
    if field == "ends_on":
        body["starts_on"] = timezone.localdate().isoformat()
    response = client_as("librarian").post("/api/v1/standing-plans/", body, format="json")
    assert_out_of_range(response, field)


@pytest.mark.parametrize("day", EDGES)
def test_a_day_plan_is_made_only_within_a_year(day):
    branch = BranchFactory()
    response = client_as("coordinator").post("/api/v1/plans/",
                                             {"branch": branch.pk, "date": day}, format="json")
    assert_out_of_range(response, "date")


def test_the_plan_page_for_a_far_day_shows_the_next_working_day(client):
    BranchFactory()
    client.force_login(UserFactory(role="coordinator"))
    response = client.get("/plan/?date=9999-12-31")
    assert response.status_code == 200


@pytest.mark.parametrize(("field", "value"), [
    ("birth_date", "1899-12-31"), ("birth_date", "9999-12-31"),
])
def test_reader_birth_date_is_since_1900_and_not_in_the_future(field, value):
    branch = BranchFactory()
    response = client_as("librarian").post("/api/v1/readers/", {
        "branch": branch.pk, "last_name": "Ахметова", "first_name": "Сауле",
        "category": "elderly", field: value}, format="json")
    assert_out_of_range(response, field)


def test_reader_consent_is_not_in_the_future():
    branch = BranchFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_as("librarian").post("/api/v1/readers/", {
        "branch": branch.pk, "last_name": "Ахметова", "first_name": "Сауле",
        "category": "elderly", "consent": {"date": tomorrow.isoformat()}}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "date.out_of_range"
    assert response.json()["fields"] == {
        "consent": {"date": ["This date cannot be in the future."]}}


def test_the_model_refuses_a_future_birth_date_for_the_admin_and_imports_too():
    from django.core.exceptions import ValidationError

    reader = ReaderFactory()
    reader.birth_date = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        reader.full_clean(exclude=["card_number", "search_text"])
    assert "birth_date" in error.value.message_dict


# Deep JSON -----------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("url", ["/api/v1/auth/token/", "/api/mobile/v1/auth/token/"])
def test_deeply_nested_json_on_the_unauthenticated_sign_in_is_400(url):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    response = client.post(url, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "request.too_deep",
        "message": "The request body is nested too deeply (at most 32 levels).",
        "fields": {},
    }


def test_brackets_inside_strings_do_not_count_and_normal_bodies_pass():
    from backend.core.parsers import nesting_exceeds

    assert not nesting_exceeds(b'{"a": "' + b"[" * 1000 + b'\\"[[["}', 32)
    assert not nesting_exceeds(b"[" * 32 + b"]" * 32, 32)
    assert nesting_exceeds(b"[" * 33 + b"]" * 33, 32)
    assert nesting_exceeds(b'{"a": {"b": ' * 40, 32)


# One error shape under /api/ -----------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("url", ["/api/v1/readers/-1/", "/api/v1/no-such-thing/",
                                 "/api/mobile/v1/nowhere/"])
def test_unknown_api_urls_answer_json(settings, debug, url):
    settings.DEBUG = debug
    response = client_as("librarian").get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "message": "Not found.", "fields": {}}


@pytest.mark.parametrize("debug", [False, True])
def test_a_body_over_the_upload_limit_answers_413_json(settings, debug):
    settings.DEBUG = debug
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"last_name": "' + "x" * 2000 + '"}'
    response = client_as("librarian").post("/api/v1/readers/", body,
                                           content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "request.too_large", "message": "The request is too large.",
                               "fields": {}}


def test_a_form_body_over_the_upload_limit_before_any_view_answers_json(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    body = "&".join(f"f{i}=1" for i in range(50))
    response = client.post("/api/v1/auth/token/", body,
                           content_type="application/x-www-form-urlencoded")
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] in {"request.too_large", "validation_error"}


# A database that takes no writes -------------------------------------------------------------


@contextlib.contextmanager
def read_only_database():
    """Writes fail the way the database fails them: SQLite's "attempt to write a readonly
    database", PostgreSQL's read-only transaction (SQLSTATE 25006, an InternalError)."""

    def refuse(execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            if connection.vendor == "postgresql":
                cause = psycopg.errors.ReadOnlySqlTransaction(
                    "cannot execute UPDATE in a read-only transaction")
                raise InternalError(str(cause)) from cause
            raise OperationalError("attempt to write a readonly database")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse):
        yield


def read_only_postgres():
    def refuse(execute, sql, params, many, context):
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            cause = psycopg.errors.ReadOnlySqlTransaction(
                "cannot execute UPDATE in a read-only transaction")
            raise InternalError(str(cause)) from cause
        return execute(sql, params, many, context)

    return connection.execute_wrapper(refuse)


@pytest.mark.parametrize("wrapper", [read_only_database, read_only_postgres])
def test_staff_token_sign_in_on_a_read_only_database_is_503(wrapper):
    UserFactory(username="alma", role="librarian")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    with wrapper():
        response = client.post("/api/v1/auth/token/",
                               {"username": "alma", "password": "wrong"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "service.unavailable"
    assert response["Retry-After"]


@pytest.mark.parametrize("wrapper", [read_only_database, read_only_postgres])
def test_mobile_sign_in_on_a_read_only_database_is_503(wrapper):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    with wrapper():
        response = client.post("/api/mobile/v1/auth/token/",
                               {"phone": "8 701 123 45 67", "password": "wrong"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "service.unavailable"


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
@pytest.mark.parametrize("wrapper", [read_only_database, read_only_postgres])
def test_the_sign_in_page_on_a_read_only_database_is_503(url, wrapper):
    UserFactory(username="alma", role="librarian")
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    with wrapper():
        response = client.post(url, {"username": "alma", "password": "wrong"})
    assert response.status_code == 503
    assert b"briefly unavailable" in response.content
    assert response["Retry-After"]
    # The outage page is a page like any other: it carries the Content-Security-Policy.
    assert "script-src 'self'" in response["Content-Security-Policy"]
