"""The OpenAPI schema says what the API really does: times, methods and errors."""
import pytest

from tests.factories import BranchFactory
from tests.openapi import api_schema, assert_documented

pytestmark = pytest.mark.django_db


def test_times_of_day_are_documented_as_the_local_times_we_send(api):
    BranchFactory()
    response = api.as_role("coordinator").get("/api/v1/branches/")
    assert response.json()["results"][0]["quiet_hours_start"] == "09:00:00"
    assert_documented(response, "get", "/api/v1/branches/")
    schema = api_schema().raw_schema["components"]["schemas"]["BranchOutput"]["properties"]
    assert "format" not in schema["quiet_hours_start"]


@pytest.mark.parametrize("url", ["/api/mobile/v1/auth/otp/request/", "/api/v1/readers/"])
def test_options_is_not_a_method_of_the_api(api, url):
    # It used to be DRF's self-description, which fell over (500) on most of our views.
    response = api.as_role("librarian").options(url)
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_every_paginated_list_documents_the_400_of_a_bad_page():
    for path, item in api_schema().raw_schema["paths"].items():
        for method, operation in item.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            if "page" in names:
                assert "400" in operation["responses"], f"{method.upper()} {path}"


@pytest.mark.parametrize("url, content_type", [
    ("/api/v1/readers/", "text/plain"),
    ("/api/v1/titles/import/", "application/json"),  # takes files only
])
def test_a_body_in_a_media_type_the_operation_does_not_read_is_a_documented_415(
        api, url, content_type):
    response = api.as_role("librarian").generic("POST", url, b"{}", content_type=content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert_documented(response, "post", url)
