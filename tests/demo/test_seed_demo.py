"""`manage.py seed_demo`: the demo district a new installation starts with."""
import json
import re
import shutil
from io import StringIO

import phonenumbers
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import transaction
from rest_framework.test import APIClient

from backend.accounts.models import User
from backend.branches.models import Branch
from backend.demo.base import FIXTURES_DIR, DemoStep, load_demo, registered_steps
from backend.readers.models import (
    CardChange,
    Category,
    FamilyCard,
    Language,
    Reader,
    ReaderPhone,
    ReaderStatus,
)
from tests.factories import BranchFactory

E164_KZ = re.compile(r"^\+7\d{10}$")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Branch, User, Group, Reader, ReaderPhone, FamilyCard, CardChange)
    }


@pytest.fixture(scope="module")
def district(django_db_setup, django_db_blocker):
    """The demo, loaded once for this module and rolled back after its last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        output = seed()
        yield output
        transaction.set_rollback(True)


@pytest.fixture
def seeded(district, db) -> str:
    """Each test runs in a savepoint inside the module's transaction."""
    return district


def test_seed_demo_creates_the_district(seeded):
    assert set(Branch.objects.values_list("code", flat=True)) == {"BSH", "SOK", "YAK"}
    assert Branch.objects.filter(is_central=True).get().settlement == "Бишкуль"
    assert set(Branch.objects.values_list("time_zone", flat=True)) == {"Asia/Almaty"}

    readers = Reader.objects.all()
    assert readers.count() >= 60
    assert set(readers.values_list("category", flat=True)) == set(Category.values)
    assert set(readers.values_list("language", flat=True)) == set(Language.values)
    assert set(readers.values_list("status", flat=True)) == set(ReaderStatus.values)
    assert readers.filter(lat__isnull=True, lon__isnull=True).count() >= 2
    # Kazakh letters survive the trip through the services and the search column.
    assert readers.filter(first_name="Әлия", last_name="Жұмабаева").exists()
    assert Reader.objects.filter(search_text__contains="ғалым").exists()
    assert readers.filter(status=ReaderStatus.ACTIVE, consent_date__isnull=True).count() == 0

    # Card numbers are the services' own: branch code and sequence.
    for reader in readers.select_related("branch"):
        assert reader.card_number == f"{reader.branch.code}-{reader.pk:05d}"

    assert "librarian" in seeded and settings.DEMO_PASSWORD in seeded


def test_family_cards_share_one_address_and_have_a_head(seeded):
    families = FamilyCard.objects.prefetch_related("members")
    assert families.count() >= 8
    for family in families:
        members = list(family.members.all())
        assert len(members) >= 2, family
        assert family.head_id in {m.pk for m in members}
        for member in members:
            assert member.branch_id == family.branch_id
            assert member.address_dict() == family.address_dict(), (family, member)
        assert family.changes.filter(action=CardChange.Action.CREATED).exists()


def test_every_card_has_its_history_recorded_by_the_librarian(seeded):
    librarian = User.objects.get(username="librarian")
    created = CardChange.objects.filter(action=CardChange.Action.CREATED, reader__isnull=False)
    assert created.count() == Reader.objects.count()
    assert set(created.values_list("actor", flat=True)) == {librarian.pk}
    assert not Reader.objects.filter(changes__isnull=True).exists()
    closed = Reader.objects.filter(status=ReaderStatus.CLOSED)
    assert closed.exists() and not closed.filter(closed_at__isnull=True).exists()
    assert not Reader.objects.exclude(consent_date=None).filter(consent_recorded_by=None).exists()


def test_every_stored_phone_is_valid_e164(seeded):
    numbers = [str(n) for n in ReaderPhone.objects.values_list("number", flat=True)]
    numbers += [str(n) for n in Reader.objects.exclude(caregiver_phone="")
                .values_list("caregiver_phone", flat=True)]
    numbers += [str(n) for n in User.objects.exclude(phone=None).values_list("phone", flat=True)]
    numbers += list(Branch.objects.values_list("phone", flat=True))
    assert len(numbers) > 100
    for number in numbers:
        assert E164_KZ.match(number), number
        assert phonenumbers.is_valid_number(phonenumbers.parse(number)), number


def test_demo_accounts_sign_in_and_get_their_roles(seeded):
    expected = {
        "admin": 200, "librarian": 200, "operator": 200, "coordinator": 200,
        **{f"volunteer{n}": 403 for n in range(1, 7)},
    }
    client = APIClient()
    for username, readers_status in expected.items():
        response = client.post(
            "/api/v1/auth/token/",
            {"username": username, "password": settings.DEMO_PASSWORD}, format="json",
        )
        assert response.status_code == 200, (username, response.content)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
        assert client.get("/api/v1/readers/").status_code == readers_status, username
        client.credentials()

    user = User.objects.get(username="librarian")
    assert list(user.groups.values_list("name", flat=True)) == ["librarian"]
    assert User.objects.get(username="admin").is_superuser
    volunteers = User.objects.filter(groups__name="volunteer")
    assert volunteers.count() == 6
    assert not volunteers.filter(phone=None).exists()
    assert not volunteers.filter(branch=None).exists()
    assert not volunteers.filter(is_staff=True).exists()


def test_running_twice_creates_nothing_new_and_later_steps_find_the_rows(seeded):
    before = row_counts()
    seen = {}

    def probe(ctx):
        seen["reader"] = ctx.readers["bsh-01"]
        seen["family"] = ctx.families["fam-bsh-1"]
        seen["volunteer"] = ctx.users["volunteer1"]

    ctx = load_demo([*registered_steps(), DemoStep("probe", 10_000, probe)])

    assert row_counts() == before
    assert sum(ctx.created.values()) == 0
    assert seen["reader"].last_name == "Жұмабаева"
    assert seen["family"].members.count() == 3
    assert seen["volunteer"].phone
    assert "Nothing new" in seed()


def test_if_empty_does_nothing_when_there_are_branches(db):
    # Holds whether or not this module's demo is loaded at the time: any branch will do.
    BranchFactory(code="OWN")
    before = row_counts()

    assert "not loaded" in seed("--if-empty")
    assert row_counts() == before
    assert not Reader.objects.filter(branch__code="OWN").exists()


def test_a_bad_row_names_file_and_row_and_loads_nothing(db, tmp_path):
    fixtures = tmp_path / "demo"
    shutil.copytree(FIXTURES_DIR, fixtures)
    staff = json.loads((fixtures / "staff.json").read_text(encoding="utf-8"))
    staff["staff"].append({"username": "volunteer7", "role": "volunteer", "branch": "BSH"})
    (fixtures / "staff.json").write_text(json.dumps(staff, ensure_ascii=False), encoding="utf-8")
    path = fixtures / "readers.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["readers"].append({**data["readers"][3], "key": "bsh-99", "first_name": "Новый",
                            "phones": ["8 000 000"]})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = row_counts()

    with pytest.raises(CommandError) as error:
        seed("--fixtures", str(fixtures))

    assert "readers.json, bsh-99: phones[0].number" in str(error.value)
    assert row_counts() == before
    assert not User.objects.filter(username="volunteer7").exists()
