"""Taking an order refuses a reader or a title that is no row the way DRF's own
PrimaryKeyRelatedField does (the same field, the same message), whether the ids are read
by the SQL kept for them or looked up on their own; an id no database can hold is a 400,
not a 500, in any line."""
import pytest
from django.conf import settings
from django.utils import translation
from rest_framework import serializers

from backend.catalog.models import Title
from backend.orders.models import Order
from backend.readers.models import Reader
from tests.factories import ItemFactory, ReaderFactory, TitleFactory

NOT_IDS = [10**6, "1000000", -5, 10**30, "abc", "7x", True, 2.5]


def _drf_refusal(model, value) -> list[str]:
    field = serializers.PrimaryKeyRelatedField(queryset=model.objects.all())
    with translation.override(settings.LANGUAGE_CODE), \
            pytest.raises(serializers.ValidationError) as refused:
        field.run_validation(value)
    return [str(message) for message in refused.value.detail]


def _order(api, reader, lines):
    return api.as_role("operator").post("/api/v1/orders/", {"reader": reader, "lines": lines},
                                        format="json")


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_reader_that_is_no_card_is_refused_as_drf_refuses_it(api, branch, value):
    title = TitleFactory()
    response = _order(api, value, [{"title": title.pk}])
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"] == {"reader": _drf_refusal(Reader, value)}
    assert not Order.objects.exists()


@pytest.mark.parametrize("value", NOT_IDS)
def test_a_title_that_is_no_title_is_refused_as_drf_refuses_it_in_any_line(api, branch, value):
    reader = ReaderFactory(branch=branch)
    title = TitleFactory()
    response = _order(api, reader.pk, [{"title": title.pk}, {"title": value}])
    assert response.status_code == 400
    assert response.json()["fields"] == {"lines": {"1": {"title": _drf_refusal(Title, value)}}}
    assert not Order.objects.exists()


def test_ids_given_as_digits_are_the_rows_they_name(api, branch):
    reader = ReaderFactory(branch=branch)
    first, second = TitleFactory(), TitleFactory()
    ItemFactory(branch=branch, title=second)
    response = _order(api, str(reader.pk), [{"title": str(first.pk)}, {"title": second.pk},
                                            {"title": str(second.pk)}])
    assert response.status_code == 201
    body = response.json()
    assert body["reader"]["id"] == reader.pk
    assert [line["title"]["id"] for line in body["lines"]] == [first.pk, second.pk, second.pk]
    assert [line["status"] for line in body["lines"]] == ["waiting", "reserved", "waiting"]


def test_more_titles_than_one_read_keeps_sql_for_are_each_the_title_named(api, branch):
    reader = ReaderFactory(branch=branch)
    titles = [TitleFactory() for _ in range(10)]
    response = _order(api, reader.pk, [{"title": title.pk} for title in titles])
    assert response.status_code == 201
    assert [line["title"]["title"] for line in response.json()["lines"]] == [
        title.title for title in titles]
