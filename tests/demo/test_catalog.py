"""The demo district's catalog: fixtures/catalog/demo_catalog.csv, loaded once by the importer."""
from io import StringIO

import pytest

from backend.catalog.models import Format, Item, Title
from backend.catalog.selectors import title_list
from backend.demo.catalog import DEMO_CSV, load_demo_catalog
from tests.factories import BranchFactory


@pytest.fixture
def branches(db):
    return {code: BranchFactory(code=code) for code in ("BSH", "SOK", "YAK")}


def counts() -> tuple[int, int]:
    return Title.objects.count(), Item.objects.count()


def test_the_demo_catalog_loads_once(branches):
    report = load_demo_catalog(stdout=StringIO())

    assert report is not None and report.ok
    titles = Title.objects.all()
    assert titles.count() >= 300
    assert set(titles.values_list("language", flat=True)) >= {"kk", "ru"}
    assert set(titles.values_list("format", flat=True)) == set(Format.values)
    for code in ("BSH", "SOK", "YAK"):
        assert Item.objects.filter(branch__code=code).count() >= 50, code
    assert not Title.objects.filter(items__isnull=True).exclude(format="periodical").exists()
    assert title_list(filters={"q": "абай жолы"}).exists()
    assert title_list(filters={"q": "ҚАРА СӨЗДЕР"}).exists()
    assert title_list(filters={"q": "Егемен Қазақстан"}).filter(format="periodical").exists()
    # Every copy has a shelf mark, so the pick list is in the order of the shelves.
    assert not Item.objects.filter(shelf_mark="").exists()
    abai = Item.objects.filter(title__title="Абай жолы. 1-кітап", title__format="print").first()
    assert abai.shelf_mark.startswith("84(5Каз) ")

    before = counts()
    out = StringIO()
    assert load_demo_catalog(stdout=out) is None
    assert counts() == before
    assert "already" in out.getvalue()
    assert DEMO_CSV.name == "demo_catalog.csv"
