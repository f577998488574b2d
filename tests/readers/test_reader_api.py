import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.readers.models import CardChange, Reader
from tests.factories import BranchFactory, ReaderFactory, ReaderPhoneFactory

URL = "/api/v1/readers/"


def reader_payload(branch, **overrides):
    data = {
        "branch": branch.id,
        "last_name": "Ахметова",
        "first_name": "Әлия",
        "patronymic": "Серікқызы",
        "birth_date": "1948-03-12",
        "category": "disability_2",
        "language": "kk",
        "phones": [{"number": "8 (701) 123-45-67", "kind": "mobile", "sms_ok": True}],
        "address": {"settlement": "Бишкуль", "street": "Абая", "house": "12", "apartment": "4",
                    "floor": 2, "lat": 54.78, "lon": 69.1},
        "availability": [{"weekday": 1, "start": "10:00", "end": "13:00"}],
        "preferences": {"subjects": ["поэзия"], "formats": ["large_print"]},
        "document": {"type": "disability_certificate", "number": "МСЭ-123456",
                     "valid_until": "2027-12-31"},
        "consent": {"date": "2026-11-01"},
    }
    data.update(overrides)
    return data


def test_librarian_creates_reader_with_number_and_e164_phone(api, branch):
    client = api.as_role("librarian")
    response = client.post(URL, reader_payload(branch), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["card_number"] == f"{branch.code}-{body['id']:05d}"
    assert body["phones"] == [{"number": "+77011234567", "kind": "mobile", "sms_ok": True}]
    assert body["status"] == "active"
    assert body["consent"]["date"] == "2026-11-01"
    assert body["document"]["number"] == "МСЭ-123456"
    assert body["availability"] == [{"weekday": 1, "start": "10:00", "end": "13:00"}]


@pytest.mark.parametrize("query", ["+77011234567", "87011234567", "1234567", "8 701 123 45 67",
                                   "+7 (701) 123-45-67"])
def test_reader_found_by_phone_in_any_form(api, branch, query):
    client = api.as_role("librarian")
    created = client.post(URL, reader_payload(branch), format="json").json()
    ReaderPhoneFactory(number="+77019999999")  # someone else
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [created["id"]]


def test_phone_search_lists_each_reader_once_in_the_same_number_of_queries(api, branch):
    """Both phones of a reader can end in the digits typed: still one row, and the search
    costs the same whether it finds one reader or seven (phones are a subquery, no join and
    no DISTINCT over the whole card)."""
    client = api.as_role("operator")
    both = ReaderFactory(branch=branch)
    ReaderPhoneFactory(reader=both, number="+77011234567")
    ReaderPhoneFactory(reader=both, number="+77771234567")

    def search(query):
        client.user.__dict__.pop("_kniga_roles", None)  # as on a fresh request
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"q": query})
        assert response.status_code == 200
        assert not any("DISTINCT" in q["sql"] for q in ctx.captured_queries)
        return [r["id"] for r in response.json()["results"]], len(ctx.captured_queries)

    found, few = search("123 45 67")
    assert found == [both.id]
    others = [ReaderPhoneFactory(number=f"+770{n}1234567").reader_id for n in (0, 2, 3, 5, 7, 8)]
    found, many = search("1234567")
    assert sorted(found) == sorted([both.id, *others])
    assert many == few
    assert search("+7 (777) 123-45-67")[0] == [both.id]


@pytest.mark.parametrize("query", ["әлия", "ӘЛИЯ", "ахметова әлия", "АХМЕТОВА", "серікқызы"])
def test_name_search_is_case_insensitive_for_kazakh_and_cyrillic(api, branch, query):
    client = api.as_role("librarian")
    ReaderFactory(last_name="ӘЛИЯ", first_name="Қасымова", branch=branch)
    ReaderFactory(last_name="Ахметова", first_name="Әлия", patronymic="Серікқызы", branch=branch)
    ReaderFactory(last_name="Петров", first_name="Иван", branch=branch)
    response = client.get(URL, {"q": query})
    names = {r["last_name"] for r in response.json()["results"]}
    assert names, query
    assert "Петров" not in names
    if query.casefold() == "әлия":
        assert names == {"ӘЛИЯ", "Ахметова"}


def test_search_by_card_number(api, branch):
    client = api.as_role("operator")
    reader = ReaderFactory(branch=branch, card_number="BSH-00042")
    ReaderFactory(branch=branch)
    response = client.get(URL, {"q": "bsh-00042"})
    assert [r["id"] for r in response.json()["results"]] == [reader.id]


def test_invalid_phone_is_rejected_naming_the_field(api, branch):
    client = api.as_role("librarian")
    payload = reader_payload(branch, phones=[{"number": "12-34", "kind": "mobile"}])
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "number" in body["fields"]["phones"]["0"]
    assert body["message"].startswith("phones")
    assert not Reader.objects.exists()


def test_card_cannot_be_active_without_consent(api, branch):
    client = api.as_role("librarian")
    response = client.post(URL, reader_payload(branch, consent={"date": None}, status="active"),
                           format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "reader.consent_required"
    assert "status" in response.json()["fields"]
    assert not Reader.objects.exists()


def test_card_without_consent_starts_paused(api, branch):
    client = api.as_role("librarian")
    payload = reader_payload(branch)
    del payload["consent"]
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "paused"


def test_volunteer_gets_403_on_readers(api, branch):
    ReaderFactory(branch=branch)
    client = api.as_role("volunteer")
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.post(URL, reader_payload(branch), format="json").status_code == 403


def test_anonymous_gets_401_in_the_error_shape(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "fields"}


def test_operator_does_not_see_eligibility_document(api, branch):
    reader = ReaderFactory(branch=branch, document_type="disability_certificate",
                           document_number="SECRET-1")
    client = api.as_role("operator")
    body = client.get(f"{URL}{reader.id}/").json()
    assert "document" not in body
    assert "SECRET-1" not in str(body)
    listing = client.get(URL).json()
    assert "SECRET-1" not in str(listing)


def test_operator_cannot_change_a_card(api, branch):
    reader = ReaderFactory(branch=branch)
    client = api.as_role("operator")
    response = client.patch(f"{URL}{reader.id}/", {"last_name": "X"}, format="json")
    assert response.status_code == 403
    reader.refresh_from_db()
    assert reader.last_name != "X"


def test_list_runs_the_same_queries_for_5_and_50_readers(api, branch):
    client = api.as_role("librarian")

    def count_queries():
        client.user.__dict__.pop("_kniga_roles", None)  # as on a fresh request
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": 100})
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    for _ in range(5):
        ReaderPhoneFactory(reader=ReaderFactory(branch=branch))
    small, count_small = count_queries()
    for _ in range(45):
        ReaderPhoneFactory(reader=ReaderFactory(branch=BranchFactory()))
    large, count_large = count_queries()
    assert (count_small, count_large) == (5, 50)
    assert small == large
    # two of them write the access log (its row and its links); one reads the categories
    assert large <= 9


def test_update_is_recorded_in_history(api, branch):
    client = api.as_role("librarian")
    created = client.post(URL, reader_payload(branch), format="json").json()
    response = client.patch(
        f"{URL}{created['id']}/",
        {"address": {"apartment": "15"}, "phones": [{"number": "87057654321", "kind": "home"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    history = client.get(f"{URL}{created['id']}/history/").json()["results"]
    assert [h["action"] for h in history] == ["updated", "created"]
    latest = history[0]
    assert latest["actor"]["username"] == client.user.username
    assert latest["changes"]["apartment"] == {"old": "4", "new": "15"}
    assert latest["changes"]["phones"]["new"] == [
        {"number": "+77057654321", "kind": "home", "sms_ok": True}
    ]
    assert CardChange.objects.filter(reader_id=created["id"]).count() == 2


def test_history_hides_document_values_from_operators(api, branch):
    librarian = api.as_role("librarian")
    created = librarian.post(URL, reader_payload(branch), format="json").json()
    operator = api.as_role("operator")
    history = operator.get(f"{URL}{created['id']}/history/").json()["results"]
    assert "МСЭ-123456" not in str(history)
    assert history[0]["changes"]["document_number"] == {"old": None, "new": "***"}


def test_update_without_change_records_nothing(api, branch):
    client = api.as_role("librarian")
    created = client.post(URL, reader_payload(branch), format="json").json()
    client.patch(f"{URL}{created['id']}/", {"last_name": "Ахметова"}, format="json")
    assert CardChange.objects.filter(reader_id=created["id"]).count() == 1


def test_future_birth_date_is_refused(api, branch):
    client = api.as_role("librarian")
    future = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    response = client.post(URL, reader_payload(branch, birth_date=future), format="json")
    assert response.status_code == 400
    assert "birth_date" in response.json()["fields"]


def test_filters_by_status_category_and_settlement(api, branch):
    client = api.as_role("operator")
    a = ReaderFactory(branch=branch, category="veteran", settlement="Соколовка")
    ReaderFactory(branch=branch, category="elderly", settlement="Бишкуль")
    ReaderFactory(branch=branch, category="veteran", status="paused", settlement="Соколовка")
    response = client.get(URL, {"category": "veteran", "status": "active",
                                "settlement": "соколовка"})
    assert [r["id"] for r in response.json()["results"]] == [a.id]


def test_page_size_is_capped_at_200(api, branch):
    client = api.as_role("librarian")
    response = client.get(URL, {"page_size": 1000})
    assert response.status_code == 200
    assert set(response.json()) == {"count", "next", "previous", "results"}


@pytest.mark.parametrize("url, name", [
    (URL, "branch"), (URL, "family_card"), ("/api/v1/family-cards/", "branch"),
    ("/api/v1/card-access/", "reader"), ("/api/v1/card-access/", "user"),
])
def test_an_id_no_database_can_hold_is_a_bad_parameter_not_a_500(api, url, name):
    response = api.as_role("librarian").get(url, {name: 10**30})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [name]
