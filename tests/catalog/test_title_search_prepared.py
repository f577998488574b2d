"""The catalog search by words read by SQL built once (catalog.selectors.title_list_pages):
the same titles, ranks and counts as the queryset gives, whatever the words hold."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.catalog.selectors import title_list, title_list_pages
from backend.core.pagination import counted_with_rows
from backend.core.prepared import PreparedPages
from tests.factories import BranchFactory, ItemFactory, TitleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    branch = BranchFactory()
    for name, language in (("Дала әуені", "kk"), ("Дала", "ru"), ("Жол мен дала", "ru"),
                           ("50% дала", "ru"), ("50x дала", "ru"), ("a_b дала", "ru"),
                           ("axb дала", "ru"), ("a\\b дала", "ru"), ("Абай жолы", "kk")):
        title = TitleFactory(title=name, language=language)
        ItemFactory(title=title, branch=branch)
        ItemFactory(title=title, status="on_loan")
    TitleFactory(title="Дала жоқ")  # no copy
    return branch


def row(title):
    return (title.pk, getattr(title, "search_rank", None), getattr(title, "search_start", None),
            title.rows_total, title.copies, title.available)


@pytest.mark.parametrize("words", ["дала", "Дала", "дала жол", "жол дала", "50%", "50% дала",
                                   "a_b", "a\\b", "%", "_", "дала ауени", "Dala", "а б в г д е"])
def test_a_search_by_words_is_the_querysets(shelf, words):
    for filters in ({"q": words}, {"q": words, "language": "ru"},
                    {"q": words, "language": "ru", "available_at": shelf.pk},
                    {"q": words, "format": "print", "available_at": shelf.pk}):
        pages = title_list_pages(filters=filters)
        assert isinstance(pages, PreparedPages) == (len(words.split()) <= 4)
        for cut in ((0, 20), (0, 2), (2, 4), (0, 20)):
            with CaptureQueriesContext(connection) as queries:
                found = list(pages[cut[0]:cut[1]])
            with CaptureQueriesContext(connection) as its_own:
                expected = list(counted_with_rows(title_list(filters=filters))[cut[0]:cut[1]])
            assert [row(title) for title in found] == [row(title) for title in expected]
            assert queries[-1]["sql"] == its_own[-1]["sql"]
        assert pages.count() == counted_with_rows(title_list(filters=filters)).count()


def test_a_barcode_an_isbn_or_a_subject_is_the_querysets_own(shelf):
    ItemFactory(barcode="KN0001", branch=shelf)
    for filters in ({"q": "KN0001"}, {"q": "KN0001", "language": "ru"},
                    {"q": "978-601-03-0370-6"}, {},
                    {"q": "дала", "subject": "классика"}):
        found = title_list_pages(filters=filters)
        assert not isinstance(found, PreparedPages)
        assert [row(title) for title in found] == [
            row(title) for title in counted_with_rows(title_list(filters=filters))]
