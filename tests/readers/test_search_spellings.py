"""Every spelling finds the caller: Kazakh names typed with Russian letters, in Latin (the
2021 alphabet and passport spellings) or with one typo; as typed first, then folded, then
the typo. The same on SQLite and PostgreSQL (run this file with DATABASE_URL set)."""
import pytest
from django.test import Client
from django.urls import reverse

from backend.readers.models import Reader
from backend.readers.selectors import reader_search
from tests.factories import FamilyCardFactory, ReaderFactory, UserFactory

URL = "/api/v1/readers/"

pytestmark = pytest.mark.django_db

NAMES = {
    "zhumabaeva": ("Жұмабаева", "Әлия"),
    "galiya": ("Сейтқали", "Ғалия"),
    "qairat": ("Оспанов", "Қайрат"),
    "nursultan": ("Әбенов", "Нұрсұлтан"),
    "maria": ("Петрова", "Мария"),
}

SPELLINGS = [
    # Russian letters for Kazakh ones
    ("жумабаева", "zhumabaeva"), ("ЖУМАБАЕВА", "zhumabaeva"), ("Алия", "zhumabaeva"),
    ("Галия", "galiya"), ("Кайрат", "qairat"), ("Нурсултан", "nursultan"),
    ("Абенов", "nursultan"), ("Сейткали", "galiya"), ("жумабаева алия", "zhumabaeva"),
    # Latin: the 2021 alphabet and passport spellings
    ("Zhumabaeva", "zhumabaeva"), ("Jumabaeva", "zhumabaeva"), ("Aliya", "zhumabaeva"),
    ("Aliia", "zhumabaeva"), ("Älia", "zhumabaeva"), ("Galiya", "galiya"),
    ("Ğaliia", "galiya"), ("Qairat", "qairat"), ("Kairat", "qairat"),
    ("Nursultan", "nursultan"), ("Nūrsūltan", "nursultan"), ("Zhumabaeva Aliya", "zhumabaeva"),
    ("Seitqali", "galiya"), ("Sseitkali Galiia", "galiya"),
    # one typo: a letter changed, left out, added, or two swapped
    ("Жумабаево", "zhumabaeva"), ("Жумабева", "zhumabaeva"), ("Жуммабаева", "zhumabaeva"),
    ("Кайрта", "qairat"), ("Nursultn", "nursultan"), ("Jumabayeva", "zhumabaeva"),
    ("Петрвоа", "maria"),
]


@pytest.fixture
def readers(branch):
    return {key: ReaderFactory(last_name=last, first_name=first, branch=branch)
            for key, (last, first) in NAMES.items()}


def api_names(query: str) -> list[str]:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(UserFactory(role="operator"))
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize(("query", "who"), SPELLINGS)
def test_every_spelling_finds_the_caller(readers, query, who):
    found = api_names(query)
    assert readers[who].id in found, query
    assert readers["maria"].id not in found or who == "maria"


@pytest.mark.parametrize("query", ["Алия", "Aliya", "Әлия"])
def test_alia_is_found_whichever_letters_are_typed(readers, query):
    found = api_names(query)
    assert readers["zhumabaeva"].id in found
    # "алия" is inside "ғалия" too: she is found as well, never before Әлия when Әлия is
    # spelled as typed.
    if query == "Әлия":
        assert found[0] == readers["zhumabaeva"].id


def test_as_typed_first_then_folded_then_one_typo(branch):
    folded = ReaderFactory(last_name="Қасымова", first_name="Дана", branch=branch)
    typo = ReaderFactory(last_name="Касумова", first_name="Дана", branch=branch)
    exact = ReaderFactory(last_name="Касымова", first_name="Дана", branch=branch)
    other = ReaderFactory(last_name="Петрова", first_name="Дана", branch=branch)
    # By name alone the typo would come first (у before ы): the rank puts it last.
    assert api_names("Касымова") == [exact.id, folded.id, typo.id]
    ranked = reader_search(Reader.objects.all(), "касымова")
    assert [(r.pk, r.search_rank) for r in ranked] == [(exact.pk, 0), (folded.pk, 1),
                                                        (typo.pk, 2)]
    # A passport's doubled letter (Kassymova) is the same name.
    assert set(api_names("Kassymova")) >= {exact.id, folded.id}
    assert other.pk not in [r.pk for r in reader_search(Reader.objects.all(), "Дана касымова")
                            ][:3]


def test_cards_that_start_with_the_word_come_before_those_that_contain_it(branch):
    # "Васил" is in every Василий and Васильевич; the caller who says it means a surname.
    by_first_name = ReaderFactory(last_name="Ахметов", first_name="Василий", branch=branch)
    by_patronymic = ReaderFactory(last_name="Белова", first_name="Анна",
                                  patronymic="Васильевна", branch=branch)
    surname = ReaderFactory(last_name="Васильева", first_name="Ольга", branch=branch)
    folded = ReaderFactory(last_name="Қасымова", first_name="Дана", branch=branch)
    inside = ReaderFactory(last_name="Ахметова", first_name="Касым", branch=branch)
    assert api_names("Васил") == [surname.id, by_first_name.id, by_patronymic.id]
    # The same among the folded matches: "Касым" typed without its Қ.
    assert api_names("Касым") == [inside.id, folded.id]
    ranked = reader_search(Reader.objects.all(), "Касым")
    assert [(r.pk, r.search_rank, r.search_start) for r in ranked] == [
        (inside.pk, 0, 1), (folded.pk, 1, 0)]


def test_a_search_gives_at_most_its_limit_the_best_first(branch):
    contains = [ReaderFactory(last_name=name, first_name="Василий", branch=branch)
                for name in ("Ахметов", "Букин", "Сидоров")]
    starts = [ReaderFactory(last_name=name, first_name="Анна", branch=branch)
              for name in ("Васильева", "Васина")]
    everyone = Reader.objects.all()
    assert [r.pk for r in reader_search(everyone, "Васи", limit=3)] == [
        starts[0].pk, starts[1].pk, contains[0].pk]
    assert [r.pk for r in reader_search(everyone, "Васи", limit=1)] == [starts[0].pk]
    assert [r.pk for r in reader_search(everyone, "Васи", limit=None)] == [
        *(r.pk for r in starts), *(r.pk for r in contains)]


def test_a_short_query_is_never_taken_as_a_typo(branch):
    alieva = ReaderFactory(last_name="Алиева", first_name="Сара", branch=branch)
    olimov = ReaderFactory(last_name="Олимов", first_name="Бек", branch=branch)
    ivanov = ReaderFactory(last_name="Иванов", first_name="Олег", branch=branch)
    assert api_names("ал") == [alieva.id]
    # Three letters: "али" is one letter from "оли", but short words are not guessed.
    assert api_names("Али") == [alieva.id]
    # Four letters and more: one typo is allowed.
    assert olimov.id in api_names("Алимов")
    assert ivanov.id not in api_names("Алимов")


def test_a_sign_alone_finds_only_names_with_it(branch):
    soft = ReaderFactory(last_name="Гоголь", branch=branch)
    ReaderFactory(last_name="Иванов", branch=branch)
    assert api_names("ь") == [soft.id]


def test_digits_are_never_a_typo(branch):
    first = ReaderFactory(last_name="Ахметова1", branch=branch)
    third = ReaderFactory(last_name="Ахметова3", branch=branch)
    assert api_names("ахметова3") == [third.id]
    assert first.id in api_names("ахметова")


def test_the_desk_finds_the_caller_however_typed(readers):
    client = Client()
    client.force_login(UserFactory(role="operator"))
    for query in ("жумабаева", "Qairat", "Нурсултн"):
        response = client.get(reverse("desk:search"), {"q": query})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Петрова" not in html, query
    html = client.get(reverse("desk:search"), {"q": "жумабаева"}).content.decode()
    assert "Жұмабаева" in html
    html = client.get(reverse("desk:search"), {"q": "Qairat"}).content.decode()
    assert "Қайрат" in html


def test_the_admin_lists_find_readers_and_families_however_typed(client, readers):
    client.force_login(UserFactory(role="librarian", is_staff=True))
    response = client.get(reverse("admin:readers_reader_changelist"), {"q": "Kairat"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [readers["qairat"]]
    family = FamilyCardFactory(branch=readers["zhumabaeva"].branch)
    Reader.objects.filter(pk=readers["zhumabaeva"].pk).update(family_card=family)
    FamilyCardFactory(branch=readers["zhumabaeva"].branch)
    response = client.get(reverse("admin:readers_familycard_changelist"), {"q": "Jumabaeva"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [family]


def test_the_admin_keeps_a_sorted_column_when_searching(client, branch):
    client.force_login(UserFactory(role="librarian", is_staff=True))
    exact = ReaderFactory(last_name="Касымова", branch=branch)
    folded = ReaderFactory(last_name="Қасымова", branch=branch)
    url = reverse("admin:readers_reader_changelist")
    assert list(client.get(url, {"q": "Касымова"}).context["cl"].result_list) == [exact,
                                                                                  folded]
    # Sorted by card number, descending: the later card first.
    found = list(client.get(url, {"q": "Касымова", "o": "-1"}).context["cl"].result_list)
    assert found == sorted([exact, folded], key=lambda r: r.card_number, reverse=True)


def test_a_phone_still_finds_by_phone(readers):
    from tests.factories import ReaderPhoneFactory

    ReaderPhoneFactory(reader=readers["qairat"], number="+77015550011")
    assert api_names("8 701 555 00 11") == [readers["qairat"].id]
    assert api_names("5550011") == [readers["qairat"].id]


def _plans(sql_params: list[tuple[str, list | None]]) -> list[str]:
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql, params in sql_params:
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.requires_postgres
def test_postgres_serves_the_name_search_from_a_trigram_index(branch):
    ReaderFactory(last_name="Жұмабаева", branch=branch)
    # Every match (an export): one query over both trigram indexes.
    query = reader_search(Reader.objects.all(), "жумабаева", limit=None).order_by().values("pk")
    (plan,) = _plans([query.query.sql_with_params()])
    assert "readers_reader_search_key_trgm" in plan, plan
    assert "readers_reader_search_text_trgm" in plan, plan


@pytest.mark.requires_postgres
def test_postgres_reads_a_common_beginning_from_the_byte_order_indexes(branch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ReaderFactory(last_name="Васильева", branch=branch)
    ReaderFactory(last_name="Ахметов", first_name="Василий", branch=branch)
    with CaptureQueriesContext(connection) as captured:
        list(reader_search(Reader.objects.all(), "васил", limit=1))
    gathered = [q["sql"] for q in captured.captured_queries if "LIMIT" in q["sql"]]
    # The first group (the text starts with the word) fills the one place: the other groups
    # are not read, and that group walks the text's index in byte order, cut at the limit.
    assert len(gathered) == 1, gathered
    (plan,) = _plans([(gathered[0], None)])
    assert "readers_reader_search_text_c" in plan, plan
