"""Titles answered as plain dicts are what DRF writes field by field with
TitleOutputSerializer (search pages) and TitleDetailOutputSerializer (a title and its
copies), with and without a branch's shelf asked for."""
import pytest
from rest_framework import serializers

from backend.catalog import selectors
from backend.catalog.apis import (
    TitleDetailOutputSerializer,
    TitleOutputSerializer,
    _title_detail,
)
from tests.answer_shape import as_json, assert_same_answer, field_by_field
from tests.factories import BranchFactory, ItemFactory, TitleFactory


@pytest.fixture
def branches(db):
    return BranchFactory(), BranchFactory()


@pytest.fixture
def full_title(branches):
    """Every field set, copies on two branches in several statuses."""
    north, south = branches
    title = TitleFactory(
        title="Абай жолы", authors=["Мұхтар Әуезов", "Ғабит Мүсірепов"], language="kk",
        format="large_print", subjects=["роман", "қазақ әдебиеті"], isbn="9786010303706",
        year=2017, publisher="Жазушы", age_rating="12+", annotation="Роман-эпопея.")
    ItemFactory(title=title, branch=north, barcode="A-002", shelf_mark="84(5Каз)",
                note="Новый переплёт")
    ItemFactory(title=title, branch=north, barcode="A-001", status="on_loan")
    ItemFactory(title=title, branch=south, barcode="A-003", status="reserved", shelf_mark="К-1")
    ItemFactory(title=title, branch=south, barcode="A-004")
    return title


@pytest.fixture
def sparse_title(db):
    """Optional fields empty, no copies."""
    return TitleFactory(title="Без автора", authors=[], subjects=[], isbn="", year=None,
                        publisher="", age_rating="", annotation="")


def _reference_list(title) -> dict:
    return field_by_field(TitleOutputSerializer, title)


def _reference_detail(title) -> dict:
    return field_by_field(TitleDetailOutputSerializer, title)


@pytest.mark.parametrize("filters", [{}, {"available_at": "north"}, {"available_at": "south"},
                                     {"q": "Абай"}], ids=["all", "north", "south", "search"])
def test_a_search_page_is_what_the_fields_write(branches, full_title, sparse_title, filters):
    if "available_at" in filters:
        filters = {"available_at": branches[filters["available_at"] == "south"].id}
    titles = list(selectors.title_list(filters=filters))
    assert full_title.id in [t.id for t in titles]
    page = TitleOutputSerializer(titles, many=True).data
    assert len(page) == len(titles)
    for plain, title in zip(page, titles, strict=True):
        assert_same_answer(plain, _reference_list(title))


@pytest.mark.parametrize("which", ["full_title", "sparse_title"])
def test_a_title_with_its_copies_is_what_the_fields_write(request, which):
    title = _title_detail(request.getfixturevalue(which).pk)
    plain = TitleDetailOutputSerializer(title).data
    reference = _reference_detail(title)
    assert_same_answer(plain, reference)
    # The plain list's own fields: what the search page writes, then the copies.
    assert_same_answer(TitleOutputSerializer(title).data, _reference_list(title))


def test_the_full_title_sets_every_field(full_title):
    title = _title_detail(full_title.pk)
    data = _reference_detail(title)
    assert all(value not in (None, "", [], {}) for value in data.values()), data
    assert (data["copies"], data["available"]) == (4, 2)
    assert [item["barcode"] for item in data["items"]] == ["A-001", "A-002", "A-003", "A-004"]
    assert {item["branch"] for item in data["items"]} == {b.id for b in
                                                          {i.branch for i in title.items.all()}}
    empty = _reference_detail(_title_detail(TitleFactory(year=None).pk))
    assert (empty["copies"], empty["available"], empty["year"], empty["items"]) == (0, 0, None, [])


@pytest.mark.parametrize("who", ["librarian", "operator", "coordinator"])
def test_the_api_sends_the_fields_answer(api, branches, full_title, who):
    client = api.as_role(who)
    reference = as_json(_reference_detail(_title_detail(full_title.pk)))
    detail = client.get(f"/api/v1/titles/{full_title.id}/").json()
    assert list(detail.items()) == list(reference.items())
    listed = client.get("/api/v1/titles/", {"available_at": branches[1].id}).json()["results"]
    listed_reference = as_json(_reference_list(selectors.title_queryset().get(pk=full_title.pk)))
    assert [list(t.items()) for t in listed] == [list(listed_reference.items())]


def test_a_new_title_answer_is_what_the_fields_write(api):
    answer = api.as_role("librarian").post("/api/v1/titles/", {
        "title": "Көшпенділер", "authors": ["Ілияс Есенберлин"], "language": "kk",
        "format": "audio", "subjects": ["тарих"], "isbn": "978-601-03-0370-6", "year": 2001,
        "publisher": "Жазушы", "age_rating": "16+", "annotation": "Трилогия."}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    reference = as_json(_reference_detail(_title_detail(body["id"])))
    assert list(body.items()) == list(reference.items())


def test_a_field_added_to_the_serializer_shows_in_the_reference(full_title):
    """The comparison catches a field the plain dict does not write."""

    class WithMore(TitleOutputSerializer):
        shown = serializers.SerializerMethodField()

        class Meta(TitleOutputSerializer.Meta):
            fields = (*TitleOutputSerializer.Meta.fields, "shown")

        def get_shown(self, obj) -> str:
            return str(obj)

    title = selectors.title_queryset().get(pk=full_title.pk)
    reference = field_by_field(WithMore, title)
    assert list(reference)[-1] == "shown"
    with pytest.raises(AssertionError):
        assert_same_answer(WithMore(title).data, reference)
