"""The admin is no side door to readers' data (backend/core/admin_site.py).

- Operators have no admin: they are sent to its sign-in page, which tells them so.
- Coordinators have the admin for volunteers; every admin of a model that holds readers'
  data answers them 403.
- Librarians keep the whole admin, but a list accepts in its URL only the lookups its own
  filters make: a lookup on any other field (the eligibility document, the birth date, a
  field reached through a relation) is 400 before anything is looked up, so guessing a
  value a character at a time gets the same answer for a right and a wrong guess.
"""
import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core import checks
from django.test import Client
from django.urls import reverse

from backend.accounts.models import SignInLock
from backend.accounts.roles_setup import ROLE_PERMISSIONS
from backend.core.admin_site import check_admins, holds_reader_data
from backend.readers import services
from backend.readers.models import CardChange, Reader
from tests.factories import LoanFactory, ReaderFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
READERS = reverse("admin:readers_reader_changelist")
DOCUMENT = "МСЭ-424242"


@pytest.fixture
def reader(branch):
    librarian = UserFactory(role="librarian", is_staff=True)
    return services.reader_create(data={
        "branch": branch, "last_name": "Жұмабаева", "first_name": "Сәуле",
        "birth_date": datetime.date(1941, 3, 8), "category": "disability_1",
        "document_type": "disability_certificate", "document_number": DOCUMENT,
        "document_valid_until": datetime.date(2027, 1, 1),
        "consent_date": datetime.date(2026, 1, 1), "settlement": "Бишкуль",
        "phones": [{"number": "+77011234567"}],
    }, by=librarian)


def signed_in(role=None, **kwargs) -> Client:
    kwargs.setdefault("is_staff", True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(role=role, **kwargs))
    return client


def attack_queries(reader) -> list[dict]:
    """What an operator did to the reader list, and the guess one character at a time."""
    return [
        {"category__exact": "disability_1"},
        {"birth_date__lt": "1950-01-01"},
        {"document_type__exact": "disability_certificate"},
        {"id": reader.pk, "document_number__startswith": DOCUMENT[:1]},  # right guess
        {"id": reader.pk, "document_number__startswith": "Z"},  # wrong guess
    ]


# Operators and coordinators ---------------------------------------------------------------


def test_operator_lookups_on_reader_cards_end_at_the_sign_in_page(reader):
    operator = signed_in("operator")
    for query in attack_queries(reader):
        response = operator.get(READERS, query)
        assert response.status_code == 302, query
        assert response["Location"].startswith(reverse("admin:login")), query


def test_coordinator_lookups_on_reader_cards_are_refused_alike(reader):
    coordinator = signed_in("coordinator")
    answers = set()
    for query in attack_queries(reader):
        response = coordinator.get(READERS, query)
        assert response.status_code == 403, query
        assert "Жұмабаева" not in response.content.decode()
        answers.add(response.content)
    assert len(answers) == 1  # a right guess and a wrong one look the same
    assert coordinator.get(READERS, {"q": "Жұмабаева"}).status_code == 403
    assert coordinator.get(READERS, {"o": "3"}).status_code == 403


def test_every_admin_of_readers_data_is_closed_to_coordinators_and_operators(reader):
    coordinator, operator = signed_in("coordinator"), signed_in("operator")
    holding = [model for model in admin.site._registry if holds_reader_data(model)]
    assert {m._meta.label for m in holding} >= {
        "readers.Reader", "readers.FamilyCard", "readers.CardChange", "readers.CardAccess",
        "circulation.Loan", "orders.Order", "orders.CallLog", "notifications.Message",
        "notifications.InboxItem", "notifications.InboundSms", "notifications.PhoneOptOut",
    }
    for model in holding:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert coordinator.get(url).status_code == 403, url
        assert operator.get(url).status_code == 302, url
    index = coordinator.get(reverse("admin:index")).content.decode()
    assert reverse("admin:volunteers_volunteer_changelist") in index
    assert "/admin/readers/" not in index and "/admin/orders/" not in index


def test_role_groups_hold_no_admin_permission_on_readers_data():
    for role in ("operator", "coordinator"):
        for label in ROLE_PERMISSIONS[role]:
            assert not holds_reader_data(apps.get_model(label)), (role, label)
    assert not Group.objects.get(name="operator").permissions.exists()
    codenames = set(Group.objects.get(name="coordinator").permissions
                    .values_list("content_type__app_label", flat=True))
    assert codenames == {"branches", "volunteers"}


def test_coordinator_keeps_the_volunteers_admin_without_a_way_to_readers(reader):
    coordinator = signed_in("coordinator")
    volunteers = reverse("admin:volunteers_volunteer_changelist")
    assert coordinator.get(volunteers).status_code == 200
    assert coordinator.get(volunteers, {"active__exact": "1"}).status_code == 200
    assert coordinator.get(volunteers, {"q": "Жұмабаева"}).status_code == 200
    for lookup in ("routes__stops__reader__category__exact",
                   "routes__stops__reader__document_number__startswith", "id__gte"):
        assert coordinator.get(volunteers, {lookup: "d"}).status_code == 400, lookup


# The sign-in page ---------------------------------------------------------------------------


@pytest.mark.parametrize("language, text", [
    ("ru", "У этой учётной записи нет доступа к администрированию"),
    ("kk", "Бұл есептік жазбаның әкімшілік бөлімге қолжетімділігі жоқ"),
    ("en", "This account has no access to the admin"),
])
def test_operator_is_told_plainly_that_the_admin_is_not_theirs(language, text):
    UserFactory(role="operator", username="oper", is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    response = client.post(reverse("admin:login"), {"username": "oper", "password": PASSWORD})
    assert response.status_code == 200
    assert text in response.content.decode()
    assert "_auth_user_id" not in client.session
    # The password was right: no failure is counted towards a lockout.
    assert not SignInLock.objects.filter(key__contains="oper", failures__gt=0).exists()
    # Signed in elsewhere (the desk), the admin sends them to the same words and their page.
    client.post(reverse("login"), {"username": "oper", "password": PASSWORD})
    page = client.get("/admin/", follow=True)
    html = page.content.decode()
    assert text in html
    assert f'href="{reverse("home")}"' in html


def test_librarian_and_coordinator_sign_in_to_the_admin():
    for role in ("librarian", "coordinator"):
        UserFactory(role=role, username=role, is_staff=True)
        response = Client().post(reverse("admin:login"),
                                 {"username": role, "password": PASSWORD, "next": "/admin/"})
        assert response.status_code == 302, role
        assert response["Location"] == "/admin/"


def test_pages_link_to_the_admin_only_for_those_who_may_use_it():
    desk = signed_in("operator").get("/desk/").content.decode()
    assert 'href="/desk/"' in desk and 'href="/admin/"' not in desk
    plan = signed_in("coordinator").get("/plan/").content.decode()
    assert 'href="/admin/"' in plan


# Librarians ----------------------------------------------------------------------------------


def test_librarian_lookups_outside_the_list_filters_get_400_and_no_signal(reader):
    librarian = signed_in("librarian")
    for query in attack_queries(reader)[1:]:
        assert librarian.get(READERS, query).status_code == 400, query
    right, wrong = (librarian.get(READERS, q) for q in attack_queries(reader)[3:])
    assert (right.status_code, right.content) == (wrong.status_code, wrong.content)
    for lookup in ("phones__number__startswith", "changes__changes__icontains",
                   "family_card__head__document_number__startswith", "consent_recorded_by"):
        assert librarian.get(READERS, {lookup: "М"}).status_code == 400, lookup


RELATED = {
    "circulation_loan": ("reader__document_number__startswith", "reader__birth_date__lt"),
    "orders_order": ("reader__document_number__startswith", "reader__category__exact"),
    "orders_calllog": ("reader__document_number__startswith",),
    "readers_cardchange": ("reader__document_number__startswith", "reader__category__exact",
                           "changes__icontains"),
    "readers_cardaccess": ("reader__document_number__startswith",),
    "readers_familycard": ("members__document_number__startswith", "head__birth_date__lt"),
    "catalog_title": ("loans__reader__document_number__startswith",),
    "catalog_item": ("loans__reader__category__exact",),
    "branches_branch": ("readers__document_number__startswith",),
}


def test_librarian_cannot_reach_a_reader_field_through_another_list(reader):
    librarian = signed_in("librarian")
    for name, lookups in RELATED.items():
        url = reverse(f"admin:{name}_changelist")
        assert librarian.get(url).status_code == 200, url
        for lookup in lookups:
            assert librarian.get(url, {lookup: "М"}).status_code == 400, (url, lookup)


def test_no_admin_accepts_a_lookup_its_filters_do_not_make(reader):
    """Every registered list, for a superuser too: `id__gte` is on no list filter."""
    superuser = signed_in(None, is_superuser=True)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert superuser.get(url).status_code == 200, url
        assert superuser.get(url, {"id__gte": "0"}).status_code == 400, url


def test_librarian_filters_by_what_the_list_filters_offer(reader, branch):
    librarian = signed_in("librarian")
    other = ReaderFactory(category="elderly", settlement="Явленка")

    def listed(url, query):
        response = librarian.get(url, query)
        assert response.status_code == 200, query
        return list(response.context["cl"].result_list)

    assert listed(READERS, {"category__exact": "disability_1"}) == [reader]
    assert listed(READERS, {"status__exact": "active", "branch__id__exact": branch.pk}) == [
        reader]
    assert listed(READERS, {"settlement": "Явленка"}) == [other]
    assert listed(READERS, {"q": "жұмабаева"}) == [reader]
    assert len(listed(READERS, {"o": "-1"})) == 2
    history = reverse("admin:readers_cardchange_changelist")
    assert listed(history, {"reader__id__exact": reader.pk}) == list(
        CardChange.objects.filter(reader=reader))
    assert listed(history, {"action__exact": "created"})
    loan = LoanFactory(reader=reader)
    loans = reverse("admin:circulation_loan_changelist")
    assert listed(loans, {"status__exact": loan.status}) == [loan]
    year = loan.issued_at.year
    assert listed(loans, {"issued_at__year": year}) == [loan]
    day = loan.due_date
    assert listed(loans, {"due_date__gte": day.isoformat(),
                          "due_date__lt": (day + datetime.timedelta(days=1)).isoformat()}) == [
        loan]


# Keeping it so -------------------------------------------------------------------------------


def test_the_system_check_holds_every_admin_to_the_rules():
    assert check_admins() == []
    registry = admin.site._registry
    kept = registry[Reader]
    registry[Reader] = admin.ModelAdmin(Reader, admin.site)  # a plain admin, as Django has it
    try:
        ids = {error.id for error in checks.run_checks(tags=[checks.Tags.admin])
               if error.id.startswith("kniga.")}
    finally:
        registry[Reader] = kept
    assert ids == {"kniga.E001", "kniga.E002", "kniga.E003"}
