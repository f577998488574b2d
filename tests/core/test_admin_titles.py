"""The admin's titles read right in Russian and Kazakh ("Добавить читателя", "Изменить
заявку", "Выберите читателя для изменения"), for every registered admin, and its messages
after a save do not give a feminine name a masculine verb."""
import html
import re

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from backend.core.admin_site import check_admins
from tests.factories import FamilyCardFactory, LoanFactory, ReaderFactory, UserFactory
from tests.reports.factories import OrderFactory
from tests.volunteers.factories import VolunteerFactory

pytestmark = pytest.mark.django_db

LANGUAGES = ("ru", "kk")
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
TAG = re.compile(r"<[^>]+>")


def h1(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(H1.search(response.content.decode()).group(1)).strip()


def expected(lang: str, phrase: str, model_admin) -> str:
    """The phrase as the catalogue has it, around the admin's object in the right case."""
    with translation.override(lang):
        return capfirst(translation.gettext(phrase) % {"object": model_admin.title_object})


def djangos_own(lang: str, phrase: str, model) -> str:
    with translation.override(lang):
        return capfirst(translation.gettext(phrase) % model._meta.verbose_name)


@pytest.fixture
def superuser_client():
    def make(lang):
        client = Client(HTTP_ACCEPT_LANGUAGE=lang)
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        return client
    return make


@pytest.fixture
def rows(db):
    """One row of as many admin models as the factories make."""
    loan = LoanFactory()
    FamilyCardFactory(branch=loan.branch)
    OrderFactory(reader=ReaderFactory(branch=loan.branch))
    VolunteerFactory()


def test_every_registered_admin_names_its_object():
    assert [e for e in check_admins() if e.id == "kniga.E003"] == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_add_form_and_list_has_its_title_in_the_right_case(superuser_client, lang):
    client = superuser_client(lang)
    request = RequestFactory().get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        title = h1(client.get(reverse(f"admin:{info}_changelist")))
        phrase = ("Select %(object)s to change" if model_admin.has_change_permission(request)
                  else "Select %(object)s to view")
        assert title == expected(lang, phrase, model_admin), model
        if model_admin.has_add_permission(request):
            title = h1(client.get(reverse(f"admin:{info}_add")))
            assert title == expected(lang, "Add %(object)s", model_admin), model
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_change_form_with_a_row_has_its_title_in_the_right_case(
        superuser_client, rows, lang):
    client = superuser_client(lang)
    request = RequestFactory().get("/")
    request.user = UserFactory(is_staff=True, is_superuser=True)
    checked = set()
    for model, model_admin in admin.site._registry.items():
        obj = model._default_manager.first()
        if obj is None:
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                      args=[quote(obj.pk)])
        phrase = ("Change %(object)s" if model_admin.has_change_permission(request, obj)
                  else "View %(object)s")
        assert h1(client.get(url)) == expected(lang, phrase, model_admin), model
        checked.add(model._meta.label_lower)
    assert {"readers.reader", "readers.familycard", "orders.order", "circulation.loan",
            "catalog.title", "catalog.item", "volunteers.volunteer", "branches.branch",
            "accounts.user"} <= checked


@pytest.mark.parametrize(("lang", "url", "title"), [
    ("ru", "admin:readers_reader_add", "Добавить читателя"),
    ("ru", "admin:readers_reader_changelist", "Выберите читателя для изменения"),
    ("ru", "admin:orders_order_changelist", "Выберите заявку для изменения"),
    ("ru", "admin:volunteers_volunteer_changelist", "Выберите волонтёра для изменения"),
    ("ru", "admin:circulation_loan_changelist", "Выберите выдачу для изменения"),
    ("kk", "admin:readers_reader_add", "Оқырманды қосу"),
    ("kk", "admin:orders_order_changelist", "Өзгерту үшін тапсырысты таңдаңыз"),
])
def test_titles_a_librarian_reads(superuser_client, lang, url, title):
    assert h1(superuser_client(lang).get(reverse(url))) == title


@pytest.mark.parametrize(("model_label", "view", "phrase", "generic"), [
    ("readers.reader", "add", "Add %s", "Добавить читатель"),
    ("readers.reader", "changelist", "Add %s", "Добавить читатель"),
    ("orders.order", "changelist", "Select %s to change", "Выберите заявка для изменения")])
def test_djangos_generic_title_would_have_been_wrong(superuser_client, model_label, view,
                                                     phrase, generic):
    """What the titles replace: Django's "Add %s" with the nominative."""
    model = next(m for m in admin.site._registry if m._meta.label_lower == model_label)
    assert djangos_own("ru", phrase, model) == generic
    page = superuser_client("ru").get(
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}"))
    assert generic not in page.content.decode()


def test_the_order_change_title(superuser_client, rows):
    order = OrderFactory._meta.model.objects.first()
    url = reverse("admin:orders_order_change", args=[order.pk])
    assert h1(superuser_client("ru").get(url)) == "Изменить заявку"


def test_the_messages_after_saving_and_deleting_agree_with_a_feminine_noun(superuser_client):
    """Django says "группа «…» был успешно изменен"; ours says "Изменено: группа «…»"."""
    from django.contrib.auth.models import Group

    client = superuser_client("ru")
    group = Group.objects.create(name="Практиканты")
    response = client.post(reverse("admin:auth_group_change", args=[group.pk]),
                           {"name": "Стажёры", "permissions": []}, follow=True)
    page = html.unescape(TAG.sub("", response.content.decode()))
    assert "Изменено: группа «Стажёры»." in page
    assert "был успешно изменен" not in page
    response = client.post(reverse("admin:auth_group_delete", args=[group.pk]),
                           {"post": "yes"}, follow=True)
    page = html.unescape(TAG.sub("", response.content.decode()))
    assert "Удалено: группа «Стажёры»." in page
    assert not Group.objects.filter(pk=group.pk).exists()


@pytest.mark.parametrize(("lang", "question"), [
    ("ru", "Вы уверены, что хотите удалить группу «Практиканты»?"),
    ("kk", "«Практиканты» — топты жойғыңыз келетініне сенімдісіз бе?"),
])
def test_the_delete_confirmation_names_the_object_in_the_right_case(superuser_client, lang,
                                                                     question):
    from django.contrib.auth.models import Group

    group = Group.objects.create(name="Практиканты")
    response = superuser_client(lang).get(reverse("admin:auth_group_delete", args=[group.pk]))
    assert response.status_code == 200
    page = html.unescape(TAG.sub("", response.content.decode()))
    assert question in page


def test_a_protected_delete_is_titled_in_the_right_case(superuser_client, rows):
    from backend.catalog.models import Title

    title = Title.objects.filter(items__isnull=False).first()
    response = superuser_client("ru").get(reverse("admin:catalog_title_delete", args=[title.pk]))
    assert h1(response) == "Нельзя удалить издание"
    page = html.unescape(TAG.sub("", response.content.decode()))
    assert f"Чтобы удалить издание «{title}»" in page
