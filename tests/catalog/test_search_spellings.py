"""Catalog search by title and author folds like the reader search: Kazakh letters typed as
Russian ones, Latin spellings; what is typed as written comes first. The same on SQLite and
PostgreSQL (run this file with DATABASE_URL set)."""
import pytest

from backend.catalog.selectors import title_list
from tests.factories import ItemFactory, TitleFactory

TITLES = "/api/v1/titles/"
ITEMS = "/api/v1/items/"

pytestmark = pytest.mark.django_db


def found(client, url: str, query: str, key: str = "title") -> list[str]:
    response = client.get(url, {"q": query})
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


@pytest.mark.parametrize("query", [
    "Ауезов", "мухтар ауезов", "Auezov", "Mukhtar Auezov", "Mūkhtar Äuezov",
    "абаи жолы", "Abai joly", "Abay zholy",
])
def test_title_and_author_are_found_however_typed(api, query):
    TitleFactory(title="Абай жолы", authors=["Мұхтар Әуезов"], language="kk")
    TitleFactory(title="Тихий Дон", authors=["Михаил Шолохов"])
    assert found(api.as_role("operator"), TITLES, query) == ["Абай жолы"]


def test_as_typed_before_folded(api):
    TitleFactory(title="Казаки", authors=["Лев Толстой"])
    TitleFactory(title="Қазақ ертегілері", authors=["Жинақ"], language="kk")
    TitleFactory(title="Тихий Дон", authors=["Михаил Шолохов"])
    client = api.as_role("operator")
    # By title "Казаки" comes first; typed with Kazakh letters, the Kazakh book leads.
    assert found(client, TITLES, "қазақ") == ["Қазақ ертегілері", "Казаки"]
    assert found(client, TITLES, "казак") == ["Казаки", "Қазақ ертегілері"]
    assert [t.search_rank for t in title_list(filters={"q": "қазақ"})] == [0, 1]


def test_a_title_is_not_guessed_from_a_typo(api):
    TitleFactory(title="Тихий Дон", authors=["Михаил Шолохов"])
    assert found(api.as_role("operator"), TITLES, "Шолохев") == []


def test_copies_are_found_by_a_folded_title(api):
    item = ItemFactory(title=TitleFactory(title="Қан мен тер", authors=["Әбдіжәміл Нұрпейісов"]))
    ItemFactory(title=TitleFactory(title="Тихий Дон"))
    assert found(api.as_role("librarian"), ITEMS, "нурпеисов", "barcode") == [item.barcode]
