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


def test_every_page_gives_the_same_count_full_or_not(api):
    for _ in range(5):
        ReaderFactory()
    client = api.as_role("librarian")
    pages = [client.get("/api/v1/readers/", {"page": page, "page_size": 2}).json()
             for page in (1, 2, 3)]
    assert [body["count"] for body in pages] == [5, 5, 5]
    assert [len(body["results"]) for body in pages] == [2, 2, 1]
    assert [body["next"] is None for body in pages] == [False, False, True]
    assert len({r["id"] for body in pages for r in body["results"]}) == 5
    response = client.get("/api/v1/readers/", {"page": 4, "page_size": 2})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["page"]


def test_a_page_that_is_not_full_is_not_counted_again(api):
    """The rows of a page that is not full say how many there are: no COUNT query (for a
    search, the whole search again). A full page must be counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        ReaderFactory()
    client = api.as_role("librarian")

    def counts(page_size: int) -> int:
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/readers/", {"page_size": page_size}).json()
        assert body["count"] == 3
        return sum("COUNT(" in query["sql"] for query in queries.captured_queries)

    assert counts(10) == 0
    assert counts(3) == 1
