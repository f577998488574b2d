from backend.readers.models import CardChange
from tests.factories import FamilyCardFactory, ReaderFactory

URL = "/api/v1/family-cards/"


def family_payload(branch, members, head=None, **overrides):
    data = {
        "name": "Семья Ахметовых",
        "branch": branch.id,
        "members": [m.id for m in members],
        "head": (head or members[0]).id,
        "loan_limit": 12,
        "address": {"settlement": "Соколовка", "street": "Школьная", "house": "7",
                    "lat": 54.97, "lon": 69.17},
    }
    data.update(overrides)
    return data


def test_family_card_serves_members_at_its_address(api, branch):
    client = api.as_role("librarian")
    a, b = ReaderFactory(branch=branch), ReaderFactory(branch=branch)
    response = client.post(URL, family_payload(branch, [a, b]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert {m["id"] for m in body["members"]} == {a.id, b.id}
    assert body["head"] == a.id
    reader = client.get(f"/api/v1/readers/{b.id}/").json()
    assert reader["family_card"]["id"] == body["id"]
    assert reader["delivery_address"]["street"] == "Школьная"
    assert reader["address"]["street"] == "Ленина"


def test_reader_is_in_at_most_one_open_family(api, branch):
    client = api.as_role("librarian")
    a, b, c = (ReaderFactory(branch=branch) for _ in range(3))
    first = client.post(URL, family_payload(branch, [a, b]), format="json").json()
    response = client.post(URL, family_payload(branch, [c, b], head=c), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "family.reader_in_other_family"
    b.refresh_from_db()
    assert b.family_card_id == first["id"]
    c.refresh_from_db()
    assert c.family_card_id is None


def test_head_must_be_a_member(api, branch):
    client = api.as_role("librarian")
    a, b = ReaderFactory(branch=branch), ReaderFactory(branch=branch)
    family = client.post(URL, family_payload(branch, [a, b]), format="json").json()
    response = client.patch(f"{URL}{family['id']}/", {"members": [a.id], "head": b.id},
                            format="json")
    # The head is kept among the members rather than silently dropped.
    assert response.status_code == 200
    assert {m["id"] for m in response.json()["members"]} == {a.id, b.id}


def test_closing_a_family_releases_members_and_is_in_history(api, branch):
    client = api.as_role("librarian")
    a, b = ReaderFactory(branch=branch), ReaderFactory(branch=branch)
    family = client.post(URL, family_payload(branch, [a, b]), format="json").json()
    response = client.patch(f"{URL}{family['id']}/", {"status": "closed"}, format="json")
    assert response.status_code == 200
    assert response.json()["members"] == []
    a.refresh_from_db()
    assert a.family_card_id is None
    history = client.get(f"{URL}{family['id']}/history/").json()["results"]
    assert history[0]["action"] == "closed"
    assert CardChange.objects.filter(reader=a).exists()


def test_unknown_member_is_named(api, branch):
    client = api.as_role("librarian")
    a = ReaderFactory(branch=branch)
    payload = family_payload(branch, [a])
    payload["members"] = [a.id, 999999]
    response = client.post(URL, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "family.reader_not_found"
    assert "members" in response.json()["fields"]


def test_search_family_by_member_name(api, branch):
    client = api.as_role("operator")
    family = FamilyCardFactory(branch=branch)
    ReaderFactory(branch=branch, last_name="Жұмабаев", family_card=family)
    FamilyCardFactory(branch=branch)
    response = client.get(URL, {"q": "ЖҰМАБАЕВ"})
    assert [f["id"] for f in response.json()["results"]] == [family.id]


def test_volunteer_gets_403_on_family_cards(api, branch):
    assert api.as_role("volunteer").get(URL).status_code == 403


def test_a_member_id_no_database_can_hold_is_a_bad_field_not_a_500(api, branch):
    reader = ReaderFactory(branch=branch)
    payload = {**family_payload(branch, [reader]), "members": [reader.id, 10**30]}
    response = api.as_role("librarian").post(URL, payload, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["members"]
