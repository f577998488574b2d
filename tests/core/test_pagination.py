"""Paginated lists: a bad page number is a bad parameter (400 naming it), not a missing list."""
import pytest

from tests.factories import ReaderFactory
from tests.openapi import assert_documented

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99"])
def test_a_page_that_does_not_exist_is_400_naming_page(api, page):
    ReaderFactory()
    response = api.as_role("librarian").get("/api/v1/readers/", {"page": page})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["page"]
    assert body["message"].startswith("page: ")
    assert_documented(response, "get", "/api/v1/readers/")


def test_the_last_page_is_still_a_page(api):
    ReaderFactory()
    response = api.as_role("librarian").get("/api/v1/readers/", {"page": 1})
    assert response.status_code == 200
    assert response.json()["count"] == 1
